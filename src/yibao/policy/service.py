"""Policy use cases: load every version of every region from a directory, and check a directory.

A policy directory holds ``*.toml`` files (any depth; the demo keeps ``<region>/<version>.toml``).
Loading is all-or-nothing: the problems of every file are collected and reported together.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from yibao.kernel.errors import PolicyError, Problem, RejectedFile
from yibao.policy.formats import load_policy_file
from yibao.policy.model import Policy, PolicyBook

__all__ = ["PolicyCheck", "check_policies", "demo_policy_dir", "load_policy_book"]


@dataclass(frozen=True, slots=True)
class PolicyCheck:
    """What ``yibao policy check`` reports of a valid directory."""

    directory: str
    policies: tuple[Policy, ...]

    def summary(self) -> str:
        lines = [f"{self.directory}: {len(self.policies)} policy file(s) valid"]
        for p in sorted(self.policies, key=lambda p: (p.region, p.effective_from)):
            until = p.effective_to.isoformat() if p.effective_to else "…"
            plans = ", ".join(f"{plan.insutype} {plan.name}" for plan in p.plans.values())
            lines.append(
                f"  {p.region} {p.region_name} version {p.version} "
                f"({p.effective_from.isoformat()} – {until}): {plans}  [{p.source_file}]"
            )
        return "\n".join(lines)


def demo_policy_dir() -> Path:
    """The policies of the demo region shipped with the package."""
    return Path(str(resources.files("yibao.demo") / "data" / "policies"))


def load_policy_book(*, directory: Path) -> PolicyBook:
    """Every policy file under ``directory`` as one book; refuses overlapping versions."""
    if not directory.is_dir():
        raise PolicyError(f"{directory}: not a directory of policy files")
    files = sorted(directory.rglob("*.toml"))
    if not files:
        raise PolicyError(f"{directory}: no policy files (*.toml) found")
    policies: list[Policy] = []
    problems: list[Problem] = []
    for path in files:
        try:
            policies.append(load_policy_file(path, name=path.relative_to(directory).as_posix()))
        except RejectedFile as exc:
            problems.extend(exc.problems)
    if problems:
        raise RejectedFile(problems)
    return PolicyBook(tuple(policies))


def check_policies(*, directory: Path) -> PolicyCheck:
    """Validate a directory as ``load_policy_book`` does and describe what it holds."""
    book = load_policy_book(directory=directory)
    return PolicyCheck(str(directory), book.policies)
