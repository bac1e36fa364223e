"""The groups of applicants the fee laws exempt, with the evidence each attaches.

A fee rule with a ``group`` applies only to an applicant who declared that group (and,
on the dossier, attached its evidence). Which groups a fee exempts is the law of that
fee: the rules of each procedure say it; this list only names the groups and what
proves membership. Sources are named in ``basis``; what could not be confirmed from
the texts themselves is said in the README's fee rules section."""

from __future__ import annotations

from backend.catalogue.schemas import ApplicantGroup

_GROUPS = (
    ApplicantGroup(
        code="nguoi_co_cong",
        name_vi="Người có công với cách mạng và thân nhân",
        name_en="People with meritorious service to the revolution and their families",
        evidence_vi=(
            "Giấy chứng nhận, quyết định công nhận người có công với cách mạng (hoặc thẻ "
            "thương binh, bệnh binh); thân nhân kèm giấy tờ chứng minh quan hệ"
        ),
        evidence_en=(
            "The certificate or decision recognising the person's meritorious service (or "
            "a war invalid's card); a relative also proves the relationship"
        ),
        basis=(
            "Luật Hộ tịch 2014, Điều 11 khoản 1; Pháp lệnh Ưu đãi người có công với cách "
            "mạng số 02/2020/UBTVQH14"
        ),
    ),
    ApplicantGroup(
        code="ho_ngheo",
        name_vi="Người thuộc hộ nghèo",
        name_en="Members of a poor household",
        evidence_vi="Giấy chứng nhận hộ nghèo do Ủy ban nhân dân cấp xã cấp, còn hiệu lực",
        evidence_en="The poor-household certificate issued by the commune People's Committee",
        basis="Luật Hộ tịch 2014, Điều 11 khoản 1; Thông tư số 75/2022/TT-BTC, Điều 4",
    ),
    ApplicantGroup(
        code="khuyet_tat",
        name_vi="Người khuyết tật",
        name_en="People with disabilities",
        evidence_vi="Giấy xác nhận khuyết tật do Ủy ban nhân dân cấp xã cấp",
        evidence_en="The disability certificate issued by the commune People's Committee",
        basis="Luật Hộ tịch 2014, Điều 11 khoản 1; Luật Người khuyết tật 2010, Điều 19",
    ),
    ApplicantGroup(
        code="tre_em",
        name_vi="Trẻ em (dưới 16 tuổi)",
        name_en="Children (under 16)",
        evidence_vi="Giấy khai sinh hoặc số định danh cá nhân của trẻ",
        evidence_en="The child's birth certificate or personal identification number",
        basis="Luật Trẻ em 2016, Điều 1; Thông tư số 75/2022/TT-BTC, Điều 4",
    ),
    ApplicantGroup(
        code="nguoi_cao_tuoi",
        name_vi="Người cao tuổi (từ đủ 60 tuổi)",
        name_en="Older people (60 and over)",
        evidence_vi="Giấy tờ tùy thân ghi ngày sinh (căn cước)",
        evidence_en="An identity document showing the date of birth",
        basis="Luật Người cao tuổi 2009, Điều 2; Thông tư số 75/2022/TT-BTC, Điều 4",
    ),
    ApplicantGroup(
        code="dan_toc_thieu_so",
        name_vi="Đồng bào dân tộc thiểu số ở xã, thôn đặc biệt khó khăn",
        name_en="Ethnic minority people living in extremely disadvantaged communes or villages",
        evidence_vi=(
            "Giấy tờ ghi dân tộc và nơi thường trú tại xã, thôn đặc biệt khó khăn theo danh "
            "sách được cấp có thẩm quyền phê duyệt"
        ),
        evidence_en=(
            "A document showing the ethnicity and permanent residence in a commune or "
            "village on the approved list of extremely disadvantaged areas"
        ),
        basis="Thông tư số 75/2022/TT-BTC, Điều 4",
    ),
)

APPLICANT_GROUPS: dict[str, ApplicantGroup] = {group.code: group for group in _GROUPS}

__all__ = ["APPLICANT_GROUPS", "ApplicantGroup"]
