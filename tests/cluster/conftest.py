from tests.support.seaweed import seaweed

__all__ = ["seaweed"]
