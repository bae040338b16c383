"""How busy the machine's cores are, from /proc/stat (Linux), for the adaptive admission."""

from __future__ import annotations

from pathlib import Path

STAT = Path("/proc/stat")


class CoresBusy:
    """Called, the share of the machine's cores busy since the last call (0 to 1); None
    when /proc/stat cannot be read (not Linux) or on the first call."""

    def __init__(self, stat: Path = STAT) -> None:
        self._stat = stat
        self._last = self._read()

    def _read(self) -> tuple[int, int] | None:
        """Busy and total ticks of every core since boot."""
        try:
            first = self._stat.read_text().split("\n", 1)[0]
        except OSError:
            return None
        fields = [int(f) for f in first.split()[1:]]
        if len(fields) < 5:
            return None
        total = sum(fields[:8])  # guest time is inside user time
        return total - fields[3] - fields[4], total  # idle and I/O wait are not busy

    def __call__(self) -> float | None:
        now, last = self._read(), self._last
        self._last = now
        if now is None or last is None or now[1] <= last[1]:
            return None
        return (now[0] - last[0]) / (now[1] - last[1])
