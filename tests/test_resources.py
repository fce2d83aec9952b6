import pytest

from agent_assist import resources


def test_root_found_from_source_checkout() -> None:
    assert resources.root().is_dir()
    assert resources.root().name == "resources"


@pytest.mark.parametrize("bad", ["/etc/passwd", "../pyproject.toml", "a/../../x", ""])
def test_escaping_names_are_refused(bad: str) -> None:
    with pytest.raises(resources.ResourceError):
        resources.path(bad)


def test_missing_resource_is_a_clear_error() -> None:
    with pytest.raises(resources.ResourceError, match=r"missing resource: nope\.txt"):
        resources.read_text("nope.txt")
