"""The marking value type: parsing every portion-mark form and ordering."""

import pytest

from cables.markings import Level, Marking


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(C)", "C"),
        ("(c)", "C"),
        ("(C )", "C"),
        ("(U)", "U"),
        ("(SBU)", "SBU"),
        ("(U//SBU)", "SBU"),
        ("(SBU/N)", "SBU//NF"),
        ("(SBU-NF)", "SBU//NF"),
        ("(U//SBU-NF)", "SBU//NF"),
        ("(SBU NOFORN)", "SBU//NF"),
        ("(S//NF)", "S//NF"),
        ("(S/NF)", "S//NF"),
        ("(S NF)", "S//NF"),
        ("(S-NF)", "S//NF"),
        ("(S/Noforn)", "S//NF"),
        ("(C/NOFORN)", "C//NF"),
        ("(TS//NF)", "TS//NF"),
        ("(S//OC/NF)", "S//OC//NF"),
        ("(S//NF//XD)", "S//NF//XD"),
        ("(S//NF//ND)", "S//NF//ND"),
        ("(S//FGI//NF)", "S//FGI//NF"),
        ("(S//REL TO USA, FVEY)", "S//REL TO USA, FVEY"),
        ("(C/REL ISAF)", "C//REL TO ISAF"),
        ("(C/Releasable to Italy)", "C//REL TO ITALY"),
        ("(S//REL)", "S//REL"),
        ("(GBR-C)", "C//FGI GBR"),
        ("(U//FOUO)", "FOUO"),
        ("(LOU)", "LOU"),
    ],
)
def test_it_reads_every_portion_mark_form(text, expected):
    assert str(Marking.parse(text)) == expected


def test_single_and_double_slash_forms_give_the_same_marking():
    assert Marking.parse("(S/NF)") == Marking.parse("(S//NF)")
    assert Marking.parse("(S/NF)").controls == ("NOFORN",)


def test_markings_order_u_sbu_c_s_ts():
    u, sbu, c, s, ts = (Marking.parse(t) for t in ("U", "SBU", "C", "S//NF", "TS"))
    assert sorted([ts, c, sbu, s, u]) == [u, sbu, c, s, ts]
    assert u < sbu < c < s < ts
    assert not (s < c)


def test_sbu_is_a_control_on_unclassified_not_a_level():
    sbu = Marking.parse("(SBU)")
    assert sbu.level is Level.U
    assert sbu.is_classified is False
    assert "SBU" in sbu.controls


def test_cui_is_a_control_on_unclassified_ranked_as_sbu():
    """Controlled Unclassified Information (since 2016, in place of SBU): U < CUI < C."""
    cui = Marking.parse("(U//CUI)")
    assert cui.level is Level.U and cui.controls == ("CUI",)
    assert cui.is_classified is False
    assert Marking.parse("U") < cui < Marking.parse("C")
    assert cui.rank == Marking.parse("SBU").rank
    assert Marking.parse(str(cui)) == cui  # reads back as it is written


@pytest.mark.parametrize("text", ["(X)", "(RESTRICTED)", "()", "(S//BOGUS)"])
def test_it_rejects_what_is_not_a_portion_mark(text):
    with pytest.raises(ValueError, match="portion mark|level|control"):
        Marking.parse(text)


def test_levels_read_from_spaced_banners():
    assert Level.from_text("S E C R E T") is Level.S
    assert Level.from_text("T O P S E C R E T") is Level.TS
    assert Level.from_text("UNCLAS") is Level.U
    with pytest.raises(ValueError, match="RESTRICTED"):
        Level.from_text("RESTRICTED")
