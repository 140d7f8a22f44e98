"""Validation findings: one error or warning with its file, line, column, object, rule and fix."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from mar_runner.i18n import _

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Issue:
    """One finding. ``rule`` states what is wrong and ``fix`` what to do, both as translated text."""

    rule: str
    fix: str = ""
    file: str = ""
    line: int = 0
    column: int = 0
    object: str = ""
    severity: str = ERROR

    def format(self) -> str:
        """Render as ``FILE:LINE:COL: object 'name': rule; fix``.

        Parts that are unknown are left out, so an issue of a dict given in
        memory reads ``object 'name': rule; fix``.
        """
        where = ""
        if self.file:
            where = self.file
            if self.line:
                where += f":{self.line}"
                if self.column:
                    where += f":{self.column}"
            where += ": "
        text = self.rule
        if self.object:
            text = _("object '{name}': {rule}").format(name=self.object, rule=self.rule)
        if self.fix:
            text += "; " + self.fix
        return where + text

    def as_dict(self) -> dict:
        """Return the fields and the formatted message, for JSON output."""
        data = asdict(self)
        data["message"] = self.format()
        return data


def has_errors(issues: list[Issue]) -> bool:
    """Tell whether any issue is an error (warnings do not make a config invalid)."""
    return any(issue.severity == ERROR for issue in issues)
