"""The rules of ratings and feedback, as the controllers and other domains call them.

- ``ratings``: a returned dossier rated by its owner (once, changeable for seven
  days), a counter visit rated from its QR code (one a device a day), and what
  officials see of the ratings of their work.
- ``items``: feedback sent (with photos, every problem reported at once), followed by
  its signed tracking link, its answer rated; the answers published.
- ``handling``: the officials' queue, answers and forwards.
- ``signing``: the device cookie and the tracking key.
- ``kept``: the photos of a refused feedback form, kept for it so they travel once.
- ``visits``: the code a counter shows, which proves a visit to whoever rates it.
- ``bursts`` and ``review``: ratings and feedback held for review when too many come
  for one counter or target in a short time, and a leader's release or rejection.
"""

from __future__ import annotations

from backend.feedback.figures import (
    FeedbackAnswered,
    FeedbackChange,
    FeedbackReceived,
    RatingChange,
    RatingCount,
    feedback_answered_counts,
    feedback_changed_since,
    feedback_received_counts,
    first_feedback_day,
    overdue_feedback_counts,
    rating_counts,
    ratings_changed_since,
    unhappy_dossier_ids,
)
from backend.feedback.service.handling import answer, detail, forward, photo, queue
from backend.feedback.service.items import (
    ANSWER_DAYS,
    MAX_PHOTOS,
    Upload,
    check_fields,
    check_photo_count,
    check_photos,
    checked_photos,
    mine,
    published,
    rate_answer,
    submit,
    token_for,
    track,
)
from backend.feedback.service.kept import (
    KEPT_MINUTES,
    KeptPhoto,
    keep,
    kept_photos,
    kept_thumbnail,
    kept_token,
    read_kept,
)
from backend.feedback.service.personal import feedback_of_person, forget_rater
from backend.feedback.service.ratings import (
    EDIT_DAYS,
    counter_rated_today,
    my_rating,
    official_ratings,
    rate_counter,
    rate_dossier,
)
from backend.feedback.service.review import (
    held_ratings,
    review_feedback,
    review_rating,
)
from backend.feedback.service.signing import tracking_token
from backend.feedback.service.stored import held_photos
from backend.feedback.service.visits import visit_code

__all__ = [
    "ANSWER_DAYS",
    "EDIT_DAYS",
    "KEPT_MINUTES",
    "MAX_PHOTOS",
    "FeedbackAnswered",
    "FeedbackChange",
    "FeedbackReceived",
    "KeptPhoto",
    "RatingChange",
    "RatingCount",
    "Upload",
    "answer",
    "check_fields",
    "check_photo_count",
    "check_photos",
    "checked_photos",
    "counter_rated_today",
    "detail",
    "feedback_answered_counts",
    "feedback_changed_since",
    "feedback_of_person",
    "feedback_received_counts",
    "first_feedback_day",
    "forget_rater",
    "forward",
    "held_photos",
    "held_ratings",
    "keep",
    "kept_photos",
    "kept_thumbnail",
    "kept_token",
    "mine",
    "my_rating",
    "official_ratings",
    "overdue_feedback_counts",
    "photo",
    "published",
    "queue",
    "rate_answer",
    "rate_counter",
    "rate_dossier",
    "rating_counts",
    "ratings_changed_since",
    "read_kept",
    "review_feedback",
    "review_rating",
    "submit",
    "token_for",
    "track",
    "tracking_token",
    "unhappy_dossier_ids",
    "visit_code",
]
