"""The demo visits shipped with the package, replayed by ``yibao demo run`` (``make run``)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from yibao.catalog.model import Institution, RegionCatalog
from yibao.policy.model import PolicyBook
from yibao.settlement.formats import load_visit_file
from yibao.settlement.service import VisitReplay, replay_visit

__all__ = ["DemoVisit", "demo_visit_files", "run_demo_visits"]


@dataclass(frozen=True, slots=True)
class DemoVisit:
    """A demo visit file, its one-line description and its replay."""

    path: Path
    title: str
    replay: VisitReplay


def demo_visit_files() -> list[Path]:
    """The shipped demo visit documents, in name order."""
    folder = Path(str(resources.files("yibao.demo") / "data" / "visits"))
    return sorted(folder.glob("*.json"))


def run_demo_visits(
    *,
    policies: PolicyBook,
    catalogs: dict[str, RegionCatalog],
    institutions: dict[str, Institution],
) -> list[DemoVisit]:
    """Replay every demo visit; a visit's ``title`` is its document's ``title`` field."""
    results = []
    for path in demo_visit_files():
        document = load_visit_file(path)
        replay = replay_visit(
            document=document, policies=policies, catalogs=catalogs, institutions=institutions
        )
        results.append(DemoVisit(path, document.title or path.stem, replay))
    return results
