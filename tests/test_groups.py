import pytest

from geo.groups import GroupRegistry


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("BLA", "BLA"),
        ("Baloch Liberation Army", "BLA"),
        ("Balochistan Liberation Army (BLA)", "BLA"),
        ("BLA-J", "BLA"),
        ("Majeed Brigade", "BLA"),
        ("Tehreek-e-Taliban Pakistan", "TTP"),
        ("Jamaat-ul-Ahrar (TTP faction)", "JuA"),
        ("Islamic State Khorasan Province (ISKP)", "ISKP"),
        ("Baloch Raji Ajoi Sangar", "BRAS"),
        ("Unidentified militants", "Unidentified"),
    ],
)
def test_spellings_map_to_one_canonical_name(registry, spelling, canonical):
    assert registry.canonical(spelling) == canonical


def test_unknown_names_are_kept_or_dropped_on_request(registry):
    assert registry.canonical("Lashkar-e-Nowhere") is None
    assert registry.normalise("BLA; Lashkar-e-Nowhere") == "BLA; Lashkar-e-Nowhere"
    assert registry.normalise("BLA; Majeed Brigade; Lashkar-e-Nowhere", keep_unknown=False) == "BLA"
    assert registry.normalise("") == "Unidentified"


def test_affiliates_include_factions_and_wings(registry):
    assert registry.with_affiliates(["TTP"]) == ["TTP", "JuA", "TJP"]
    assert registry.with_affiliates(["IS"]) == ["IS", "ISKP", "ISPP"]
    assert registry.with_affiliates(["BLF"]) == ["BLF"]


def test_registry_rejects_unknown_parent(tmp_path):
    path = tmp_path / "groups.csv"
    path.write_text("group,full_name,parent,aliases\nA,Alpha,Z,\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"parent\(s\) \['Z'\] are not groups in the registry"):
        GroupRegistry.from_csv(path)


def test_a_team_spelling_names_its_group_and_leaves_the_registry_as_it_was():
    from geo.io import load_bundled

    registry = load_bundled().groups
    assert registry.canonical("Test spelling of BLA") is None
    team = registry.with_aliases([("Test  spelling of BLA", "BLA"), ("Anything", "Not a group")])
    assert team.canonical("test spelling of bla") == "BLA"
    assert team.canonical("Anything") is None  # an alias of an unknown group is left out
    assert team.normalise("Test spelling of BLA; TTP") == "BLA; TTP"
    assert registry.canonical("Test spelling of BLA") is None


def test_full_names_of_known_and_unknown_groups(registry):
    assert registry.full_name("BLA") == "Baloch Liberation Army"
    assert registry.full_name("JuA") == "Jamaat-ul-Ahrar"
    assert registry.full_name("Lashkar-e-Nowhere") == "Lashkar-e-Nowhere"
