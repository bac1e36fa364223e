"""The dossiers tests' app and people serve these tests too."""

from tests.dossiers.conftest import dossiers_app, people, runtime

__all__ = ["dossiers_app", "people", "runtime"]
