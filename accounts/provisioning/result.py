"""What an import did, or for a dry run would do: counts, and a summary for people."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ImportResult:
    people: int = 0
    created: int = 0
    updated: int = 0
    reactivated: int = 0
    deactivated: int = 0
    teams_created: int = 0
    memberships_added: int = 0
    memberships_removed: int = 0
    trainers_added: int = 0
    trainers_removed: int = 0
    invitations_owed: int = 0  # new people owed an invitation by this run
    invitations_sent: int = 0
    invitations_failed: int = 0
    invitations_left: int = 0  # still owed after this run (failed, or over the limit)
    dry_run: bool = False

    @property
    def unchanged(self) -> int:
        return self.people - self.created - self.updated

    @property
    def links_changed(self) -> bool:
        """Whether any team membership or trainer link was added or removed."""
        counts = (
            self.memberships_added,
            self.memberships_removed,
            self.trainers_added,
            self.trainers_removed,
        )
        return any(counts)

    @property
    def changed(self) -> bool:
        counts = (
            self.created,
            self.updated,
            self.deactivated,
            self.teams_created,
            self.links_changed,
            self.invitations_sent,
        )
        return any(counts)

    def summary(self) -> str:
        """What the import did (or, for a dry run, would do), in a few lines."""
        if not self.changed and not self.invitations_left:
            prefix = "Dry run: " if self.dry_run else ""
            return (
                f"{prefix}Nothing to change: the {self.people} people in the file are "
                "already as it says."
            )
        lines = [
            f"{self.people} people in the file: {self.created} created, "
            f"{self.updated} updated ({self.reactivated} of them reactivated), "
            f"{self.unchanged} unchanged.",
            f"Teams: {self.teams_created} created; members {self.memberships_added} added, "
            f"{self.memberships_removed} removed; trainers {self.trainers_added} added, "
            f"{self.trainers_removed} removed.",
            f"Deactivated (active, not staff, not in the file): {self.deactivated}.",
        ]
        if self.dry_run:
            lines.append(f"Invitations to send: {self.invitations_owed}.")
            lines.insert(0, "Dry run: nothing was changed. The import would do this:")
        else:
            lines += self._invitation_lines()
        return "\n".join(lines)

    def _invitation_lines(self) -> list[str]:
        lines = [f"Invitations sent: {self.invitations_sent}."]
        if self.invitations_failed:
            lines.append(
                f"Invitations that could not be sent: {self.invitations_failed} (see the log)."
            )
        if self.invitations_left:
            lines.append(
                f"Invitations still owed: {self.invitations_left}; "
                "manage.py send_invitations sends them (so does importing again)."
            )
        return lines
