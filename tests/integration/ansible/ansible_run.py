"""Helpers of the Ansible integration tests: a playbook run's output and recorded task results."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PlaybookRun:
    """One ansible-playbook run: exit code, everything it printed and each task's recorded result."""

    returncode: int
    output: str
    records: list[dict] = field(default_factory=list)

    def task(self, name: str) -> dict:
        """Return the one result of the task called ``name`` that was not skipped."""
        found = [record for record in self.records if record["task"] == name and record["status"] != "skipped"]
        assert len(found) == 1, f"expected one result of task {name!r}, got {len(found)}:\n{self.output[-3000:]}"
        return found[0]

    def result(self, name: str) -> dict:
        """Return the module result of the task called ``name``."""
        return self.task(name)["result"]


def local_play(tasks: list[dict], name: str = "Test play") -> dict:
    """Return a play on the controller with the Python that runs Ansible."""
    return {
        "name": name,
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
        "tasks": tasks,
    }


def parallel_play(tasks: list[dict], name: str = "Test play") -> dict:
    """Return a play in which each task runs only on the inventory host named like the task.

    With the free strategy and one host per task, the tasks run side by
    side; run it with an inventory from :func:`case_inventory`.
    """
    guarded = [dict(task, when=f"inventory_hostname == {task['name']!r}") for task in tasks]
    return {"name": name, "hosts": "all", "strategy": "free", "gather_facts": False, "tasks": guarded}


def case_inventory(names, python: str) -> dict:
    """Return an inventory with one local host per name, using ``python`` for modules."""
    hosts = {name: {"ansible_connection": "local", "ansible_python_interpreter": python} for name in names}
    return {"all": {"hosts": hosts}}
