"""The cable parser on small synthetic snippets in the shapes real cables take.

Plain pytest, no Django: parsing is pure Python.  Every snippet is invented
(fictional posts and people) but copies a shape seen in published cables.
"""

from __future__ import annotations

import json
import pickle
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cables.markings import Level, Marking
from cables.parsing import (
    CableMetadata,
    ParsedCable,
    ParseError,
    clear_metadata_cache,
    load_metadata_index,
    metadata_for_file,
    parse_cable,
    parse_file,
)
from cables.parsing import core as parsing_core
from cables.parsing.classify import overall_level, roll_up
from cables.parsing.fields import origin_name, read_authority, read_banner, read_decl, read_tags
from cables.parsing.header import unglue
from cables.parsing.normalize import detect_format
from tests.cables.cable_text import REQUIRED_JSON_KEYS

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
DEMO = Path(__file__).resolve().parents[2] / "cables" / "demo"

ROUTING = """VZCZCXRO0123
PP RUEHWEB
DE RUEHVD #0123/01 0411530
ZNY CCCCC ZZH
P 101530Z FEB 06
FM AMEMBASSY VALDERRA
TO RUEHC/SECSTATE WASHDC PRIORITY 1234
INFO RUEHKB/AMEMBASSY KESTREL BAY PRIORITY 0456

"""


def cable(
    body: str = "1. (C) The minister said the talks would resume.\n",
    *,
    banner: str = "C O N F I D E N T I A L VALDERRA 000123",
    header: str = "SIPDIS\n\nE.O. 12958: DECL: 02/10/2016\nTAGS: PREL PGOV VD\n"
    "SUBJECT: TALKS RESUME\n\nClassified By: DCM Jane Roe, reasons 1.4 (b) and (d)\n",
    routing: str = ROUTING,
) -> str:
    """A small telegram in the 2000s shape; parts can be swapped to test one thing."""
    return f"{routing}{banner} \n\n{header}\n{body}\n\nROE\n"


def codes(parsed: ParsedCable) -> set[str]:
    return {w.split(":", 1)[0] for w in parsed.warnings}


def marks(parsed: ParsedCable) -> list[tuple[str, str, bool]]:
    return [(p.number, str(p.marking), p.explicit) for p in parsed.paragraphs]


# --- formats ----------------------------------------------------------------------------


def test_it_detects_the_input_format_from_markup_raw_telegrams_never_contain():
    assert detect_format(cable()) == "text"
    assert detect_format("<html><body><pre>SECRET</pre></body></html>") == "html"
    assert detect_format("TAGS: [PREL](https://x.example/tag/PREL) [PGOV](/tag/PGOV)") == (
        "markdown"
    )
    assert detect_format("# Cable 06VALDERRA123\n\n**Origin:** Embassy\n\nUNCLAS X 1") == (
        "markdown"
    )
    # FL3 routing lines carry "#" and telegrams "**LINK BREAK**": on their own, not Markdown.
    assert detect_format("DE RUEHVD #0123/01 0411530\n** RETRANSMITTED **\n") == "text"
    assert detect_format("UNCLAS X 000123\n\n1. (U) See 20 10/100209 **LINK BREAK** x\n") == (
        "text"
    )


def test_an_archive_page_keeps_only_its_pre_blocks_and_decodes_entities():
    parsed = parse_file(SAMPLES / "archive_page.html")

    assert parsed.format == "html"
    # The page's metadata table says SECRET//NOFORN: classification comes from the text.
    assert parsed.classification == Marking(Level.C)
    assert parsed.dtg == "140931Z JUN 05"  # header <pre> used &#x000A; for newlines
    assert parsed.tags == ["PGOV", "PREL", "OS"]  # links, two of them with no space between
    assert [(p.number, p.marker) for p in parsed.paragraphs] == [
        ("1", "¶1. (C)"),
        ("2", "¶2. (SBU)"),
        ("3", "¶3. (C)"),
    ]
    assert '"reform"' in parsed.paragraphs[0].text
    assert parsed.paragraphs[1].text == (
        "The new finance minister, Ilse Karner, is a former central bank official & a party "
        "loyalist.\nShe told reporters that the budget would not change."
    )
    assert "00001120" not in parsed.paragraphs[1].text  # section break dropped


def test_flowing_html_turns_br_and_p_into_lines_and_source_newlines_into_spaces():
    page = (
        "<html><body><p>C O N F I D E N T I A L VALDERRA 000123</p><p>E.O. 12958: DECL: "
        "02/10/2016<br>TAGS: PREL</p><p>1. (C) First\nline.</p><p>2. (U) Second.</p></body>"
        "</html>"
    )
    parsed = parse_cable(page)

    assert parsed.format == "html"
    assert marks(parsed) == [("1", "C", True), ("2", "U", True)]
    assert parsed.paragraphs[0].text == "First line."


def test_a_markdown_scrape_loses_links_escapes_emphasis_and_hard_breaks():
    parsed = parse_file(SAMPLES / "scrape.md")

    assert parsed.format == "markdown"
    assert parsed.tags == ["PGOV", "PHUM", "KDEM", "PL"]
    assert parsed.classified_by == "DCM Paul Hendry"
    assert parsed.classification == Marking(Level.C)  # not the SECRET in the scrape's metadata
    assert parsed.sent_at == datetime(2006, 8, 22, 15, 30, tzinfo=UTC)  # from the code fence
    assert (
        parsed.paragraphs[1].text == "The interior ministry said she was held for *blocking "
        "traffic*."
    )


# --- the classification line ------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "level", "post", "serial", "misspelled"),
    [
        ("C O N F I D E N T I A L SECTION 01 OF 03 MADRID 000091", Level.C, "MADRID", 91, False),
        ("S E C R E T STATE 083673", Level.S, "STATE", 83673, False),
        ("UNCLAS SECTION 01 OF 06 TBILISI 002290", Level.U, "TBILISI", 2290, False),
        ("UNCLASSIFIED SECTION 01 OF 03 SAO PAULO 000976", Level.U, "SAO PAULO", 976, False),
        ("CONFIDENTIAL THE HAGUE 000131", Level.C, "THE HAGUE", 131, False),
        ("S e c r e t berlin 001068", Level.S, "BERLIN", 1068, False),
        (
            "C o n f i d e n t i a l section 01 of 03 damascus 000389",
            Level.C,
            "DAMASCUS",
            389,
            False,
        ),
        ("T O P S E C R E T STATE 001234", Level.TS, "STATE", 1234, False),
        ("SS E C R E T OTTAWA 000918", Level.S, "OTTAWA", 918, True),
        ("E C R E T SANAA 000473", Level.S, "SANAA", 473, True),
        ("NCLAS SECTION 01 OF 02 BRASILIA 001017", Level.U, "BRASILIA", 1017, True),
        (
            "CC O N F I D E N T I A L SECTION 01 OF 02 SAO PAULO 000104",
            Level.C,
            "SAO PAULO",
            104,
            True,
        ),
        ("CO N F I D E N T I A L SECTION 01 OF 04 HANOI 000809", Level.C, "HANOI", 809, False),
        ("SE C R E T TUNIS 000193", Level.S, "TUNIS", 193, False),
        ("UNCLAS BEIRUT 01725 \\", Level.U, "BEIRUT", 1725, False),
        ("C O N F I D E N T I A L SECTION 1 OF 2 TEHRAN 2069", Level.C, "TEHRAN", 2069, False),
    ],
)
def test_it_reads_the_classification_line_in_the_shapes_cables_use(
    line, level, post, serial, misspelled
):
    banner = read_banner(line)

    assert banner is not None
    assert (banner.level, banner.post, banner.serial, banner.misspelled) == (
        level,
        post,
        serial,
        misspelled,
    )


def test_banner_variants_carry_their_controls():
    lou = read_banner("LIMITED OFFICIAL USE STATE 133602")
    efto = read_banner("UNCLAS E F T O LONDON 002239")
    syntax = read_banner("SECRET//NOFORN KESTREL BAY 000931")
    bare = read_banner("CONFIDENTIAL     PTQ2529")

    assert lou is not None and lou.marking == Marking(Level.U, ("LOU",))
    assert efto is not None and efto.marking == Marking(Level.U, ("EFTO",)) and efto.efto
    assert syntax is not None and syntax.marking == Marking(Level.S, ("NOFORN",))
    assert bare is not None and not bare.full and bare.level == Level.C
    rel = read_banner("SECRET//REL TO USA, GBR")
    fouo = read_banner("UNCLASSIFIED//FOR OFFICIAL USE ONLY")
    assert rel is not None and rel.marking == Marking(Level.S, ("REL TO USA, GBR",))
    assert fouo is not None and fouo.marking == Marking(Level.U, ("FOUO",))


@pytest.mark.parametrize(
    "line",
    [
        "SECRETARY RICE 2005",
        "Secret talks began in 1999",
        "SECTION 01 OF 02",
        "SUMMARY",
        "CONFIDENTIALLY, THE MINISTER SAID",
        "CORRECTED COPY 2",
    ],
)
def test_prose_is_not_a_classification_line(line):
    assert read_banner(line) is None


def test_secret_noforn_banner_syntax_and_a_noforn_caption_give_the_same_pair():
    spaced = parse_cable(
        cable(
            banner="S E C R E T VALDERRA 000123",
            header="SIPDIS\nNOFORN\n\nE.O. 12958: DECL: 02/10/2016\n",
        )
    )
    syntax = parse_cable(
        cable(
            banner="SECRET//NOFORN VALDERRA 000123",
            header="SIPDIS\n\nE.O. 12958: DECL: 02/10/2016\n",
        )
    )

    assert spaced.classification == syntax.classification == Marking(Level.S, ("NOFORN",))
    assert spaced.banner == Marking(Level.S)  # as written on the line
    assert syntax.banner == Marking(Level.S, ("NOFORN",))
    assert "NOFORN" in spaced.captions


def test_a_misspelled_banner_is_read_and_reported():
    parsed = parse_cable(cable(banner="SS E C R E T VALDERRA 000123"))

    assert parsed.classification is not None and parsed.classification.level == Level.S
    assert "MISSPELLED_BANNER" in codes(parsed)


# --- routing, dates, origin, reference id ----------------------------------------------------


def test_it_reads_the_routing_header():
    parsed = parse_cable(cable())

    assert parsed.dtg == "101530Z FEB 06"
    assert parsed.sent_at == datetime(2006, 2, 10, 15, 30, tzinfo=UTC)
    assert parsed.precedence == "PRIORITY"
    assert parsed.originator == "AMEMBASSY VALDERRA"
    assert parsed.origin == "Embassy Valderra"
    assert parsed.to == ["SECSTATE WASHDC"]
    assert parsed.info == ["AMEMBASSY KESTREL BAY"]
    assert parsed.reference_id == "06VALDERRA123"
    assert parsed.section_count == 1


@pytest.mark.parametrize(
    ("routing", "dtg", "when", "precedence"),
    [
        (
            "O R 311221Z DEC 08\nFM AMEMBASSY VALDERRA\n\n",
            "311221Z DEC 08",
            datetime(2008, 12, 31, 12, 21, tzinfo=UTC),
            "IMMEDIATE",
        ),
        (
            "R 161519Z APR 07 ZDK\nFM AMEMBASSY VALDERRA\n\n",
            "161519Z APR 07",
            datetime(2007, 4, 16, 15, 19, tzinfo=UTC),
            "ROUTINE",
        ),
        (
            "Z 020411Z AUG 90\nFM AMEMBASSY VALDERRA\n\n",
            "020411Z AUG 90",
            datetime(1990, 8, 2, 4, 11, tzinfo=UTC),
            "FLASH",
        ),
        ("151727Z Apr 04\n\n", "151727Z Apr 04", datetime(2004, 4, 15, 17, 27, tzinfo=UTC), None),
        ("Monday, 26 July 2004, 07:22\n\n", None, datetime(2004, 7, 26, 7, 22, tzinfo=UTC), None),
    ],
)
def test_it_reads_every_date_shape(routing, dtg, when, precedence):
    parsed = parse_cable(cable(routing=routing))

    assert (parsed.dtg, parsed.sent_at, parsed.precedence) == (dtg, when, precedence)
    assert parsed.from_metadata == []


def test_an_archive_date_stamp_glued_to_the_banner_is_split_off():
    text = (
        "P 151240Z NOV 02\nFM AMEMBASSY VALDERRA\n\n"
        "Cable dated:2002-11-15T12:40:00S E C R E T SECTION 01 OF 05 VALDERRA 008305S/CT FOR "
        "REAPE.O. 12958: DECL: 11/14/2012 TAGS: PTER VD\n\n1. (S) Text.\n"
    )
    parsed = parse_cable(text)

    assert parsed.reference_id == "02VALDERRA8305"
    assert parsed.classification == Marking(Level.S)
    assert parsed.passing == ["S/CT FOR REAP"]
    assert (parsed.executive_order, parsed.decl, parsed.tags) == (
        "12958",
        "11/14/2012",
        ["PTER", "VD"],
    )


def test_a_glued_header_line_is_cut_before_each_field():
    parts = unglue("003352SIPDISSIPDISNOFORNE.O. 12958: DECL: 06/05/2026TAGS: MOPS PREL")

    assert parts == ["003352SIPDISSIPDISNOFORN", "E.O. 12958: DECL: 06/05/2026", "TAGS: MOPS PREL"]
    assert unglue("E.O. 12958: DECL: DECLASSIFIED BY NARA 09/02/2009") == [
        "E.O. 12958: DECL: DECLASSIFIED BY NARA 09/02/2009"
    ]
    assert unglue("Classified By: Classified by: Consul Pat Doe for reasons 1.4 b and d") == [
        "Classified By: Classified by: Consul Pat Doe for reasons 1.4 b and d"
    ]


def test_a_1970s_page_header_gives_the_time_and_metadata_the_month():
    text = (SAMPLES / "old_1978_page_headers.txt").read_text(encoding="utf-8")
    without_dtg = text.replace("P 211630Z APR 78\n", "")
    meta = CableMetadata(sent_at=datetime(1978, 4, 21, 16, 4, tzinfo=UTC))

    parsed = parse_cable(without_dtg, metadata=meta)

    assert parsed.dtg == "211630Z"
    assert parsed.sent_at == datetime(1978, 4, 21, 16, 30, tzinfo=UTC)
    assert parsed.from_metadata == ["sent_at"]
    assert parsed.reference_id == "78TERAMIS2218"


@pytest.mark.parametrize(
    ("plad", "name"),
    [
        ("AMEMBASSY HARARE", "Embassy Harare"),
        ("AMEMBASSY RIO DE JANEIRO", "Embassy Rio De Janeiro"),
        ("AMEMBASSY THE HAGUE", "Embassy The Hague"),
        ("AMEMBASSY TRIPOLI LY", "Embassy Tripoli"),
        ("AMCONSUL SAO PAULO", "Consulate Sao Paulo"),
        ("SECSTATE WASHDC", "Secretary of State"),
        ("USMISSION USNATO", "Mission USNATO"),
        ("USMISSION USUN NEW YORK", "USUN New York"),
        ("USMISSION UNVIE VIENNA", "UNVIE"),
        ("USINT HAVANA", "US Interests Section Havana"),
        ("USEU BRUSSELS", "USEU Brussels"),
        ("USDEL SECRETARY", "US Delegation, Secretary"),
        ("RPO DUBAI", "Iran RPO Dubai"),
    ],
)
def test_originator_plads_map_to_display_names(plad, name):
    assert origin_name(plad) == name


def test_the_reference_id_follows_the_archive_convention():
    hague = parse_cable(
        cable(banner="UNCLAS THE HAGUE 001910", header="E.O. 12958: N/A\n", body="1. Text.\n")
    )
    efto = parse_cable(
        cable(
            banner="UNCLAS E F T O LONDON 002239",
            header="E.O. 12958: N/A\n",
            body="1. (SBU/NF) Text.\n",
        )
    )

    assert hague.reference_id == "06THEHAGUE1910"
    assert efto.reference_id == "06EFTOLONDON2239"  # archives kept EFTO in the post


# --- E.O. line and DECL -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rest", "decl"),
    [
        (": DECL: 06/05/2026", "06/05/2026"),
        (" DECL: 09/21/10", "09/21/10"),
        (": DECL: (X1)", "(X1)"),
        (": DECL: 25X1-HUMAN", "25X1-HUMAN"),
        (": N/A", "N/A"),
        (" NA", "N/A"),
        (": DECL: N/A", "N/A"),
        (":DECL:OADR", "OADR"),
        (": DECLl: 05/01/2012", "05/01/2012"),
        (": DECL: DECL: 06/09/2016", "06/09/2016"),
        (": DECLASSIFY 11/29/2027", "11/29/2027"),
        (": DECL ON: 07/01/2019", "07/01/2019"),
        (": 05/20/19", "05/20/19"),
        (" 03/24/2019", "03/24/2019"),
        (": DNG: CO 08/01/2032", "DNG: CO 08/01/2032"),
        (": GDS 8/12/85 (TOMSETH, VICTOR L.) OR-P", "GDS 8/12/85 (TOMSETH, VICTOR L.) OR-P"),
        (": DECL: DECLASSIFIED BY NARA 09/02/2009", "DECLASSIFIED BY NARA 09/02/2009"),
        (": DECL: TEN YEARS AFTER UNIFICATION", "TEN YEARS AFTER UNIFICATION"),
        ("", None),
    ],
)
def test_it_reads_the_declassification_instruction_as_written(rest, decl):
    assert read_decl(rest) == decl


@pytest.mark.parametrize(
    ("eo_line", "order", "decl"),
    [
        ("E.O. 12958: DECL: 02/10/2016", "12958", "02/10/2016"),
        ("EO 12958 DECL: 02/10/2016", "12958", "02/10/2016"),
        ("E.0. 12958: DECL: 02/10/2016", "12958", "02/10/2016"),
        ("E.o. 12958: decl: 02/10/2016", "12958", "02/10/2016"),
        ("E.O.12356: DECL:OADR", "12356", "OADR"),
        ("¶E. O. 11652: GDS", "11652", "GDS"),
        ("E.O. 12958: DECL: 02/10/2016 TAGS: PREL PGOV VD", "12958", "02/10/2016"),
        ("E.O. 12958: \nN/A TAGS: PREL PGOV VD", "12958", "N/A"),
    ],
)
def test_the_eo_line_in_a_cable(eo_line, order, decl):
    parsed = parse_cable(cable(header=f"SIPDIS\n\n{eo_line}\nSUBJECT: TALKS RESUME\n"))

    assert (parsed.executive_order, parsed.decl) == (order, decl)
    assert "PREL" in parsed.tags or "TAGS" not in eo_line


def test_a_classified_cable_without_a_declassification_line_is_flagged():
    parsed = parse_cable(cable(header="SIPDIS\n\nTAGS: PREL\nSUBJECT: TALKS RESUME\n"))

    assert parsed.decl is None
    assert "MISSING_DECL" in codes(parsed)
    assert "MISSING_DECL" not in codes(parse_cable(cable()))


# --- Classified By and reasons (rules 3.2) --------------------------------------------------


@pytest.mark.parametrize(
    ("text", "who", "reasons", "section"),
    [
        (
            "Classified By: Charge d'Affaires a.i. Ann Lee; reasons 1.4(b) and (d).",
            "Charge d'Affaires a.i. Ann Lee",
            ["1.4(b)", "1.4(d)"],
            "1.4",
        ),
        (
            "Classified By: Political Counselor Ann Lee for Reasons 1.4 (b) and (d)",
            "Political Counselor Ann Lee",
            ["1.4(b)", "1.4(d)"],
            "1.4",
        ),
        (
            "Classified By: Ambassador Ann Lee for reasons 1.4 b and d",
            "Ambassador Ann Lee",
            ["1.4(b)", "1.4(d)"],
            "1.4",
        ),
        (
            "CLASSIFIED BY: ANN LEE, ASSISTANT SECRETARY, VCI; REASON: 1.4(B), (D)",
            "ANN LEE, ASSISTANT SECRETARY, VCI",
            ["1.4(b)", "1.4(d)"],
            "1.4",
        ),
        (
            "1. (U) CLASSIFIED BY ANN LEE, DEPUTY CHIEF OF MISSION. REASON: 1.5 (D)",
            "ANN LEE, DEPUTY CHIEF OF MISSION",
            ["1.4(d)"],
            "1.5",
        ),
        (
            "Classified By: CDA Ann Lee for reasons 1.4 (b)(d)",
            "CDA Ann Lee",
            ["1.4(b)", "1.4(d)"],
            "1.4",
        ),
        (
            "Classified By: Ambassador Ann Lee: 1.4 (B), (D)",
            "Ambassador Ann Lee",
            ["1.4(b)", "1.4(d)"],
            "1.4",
        ),
        (
            "Classified By: AMBASSADOR ANN LEE PER 1.4 (B) AND (D)",
            "AMBASSADOR ANN LEE",
            ["1.4(b)", "1.4(d)"],
            "1.4",
        ),
        (
            "Classified By: DCM ANN LEE BASED UPON REASON 1.4(B) AND (D)",
            "DCM ANN LEE",
            ["1.4(b)", "1.4(d)"],
            "1.4",
        ),
        (
            "Classified by: Charge Ann Lee. Reason 1.4a and b",
            "Charge Ann Lee",
            ["1.4(a)", "1.4(b)"],
            "1.4",
        ),
        (
            "Classified By: Ann Lee for reasons 1.4 (b) and (d). REF: A. STATE 123",
            "Ann Lee",
            ["1.4(b)", "1.4(d)"],
            "1.4",
        ),
        ("Classified By: Ann Lee, reasons 1 .4 (b+d)", "Ann Lee", ["1.4(b)", "1.4(d)"], "1.4"),
        ("Classified By: Ann Lee. Reasons: 1.4 (B/D).", "Ann Lee", ["1.4(b)", "1.4(d)"], "1.4"),
        ("Classified By: Ann Lee, Reasons 1.4. (b & d).", "Ann Lee", ["1.4(b)", "1.4(d)"], "1.4"),
        (
            "Classified By: XXXXXXXXXXXX reason 1.4 (g,h)",
            "XXXXXXXXXXXX",
            ["1.4(g)", "1.4(h)"],
            "1.4",
        ),
    ],
)
def test_it_splits_who_classified_and_why(text, who, reasons, section):
    authority = read_authority(text)

    assert authority.who == who
    assert list(authority.reasons) == reasons
    assert authority.section == section


def test_a_reason_wrapped_over_lines_is_joined_before_reading():
    parsed = parse_cable(
        cable(
            header=(
                "E.O. 12958: DECL: 02/10/2016\nTAGS: PREL\nSUBJECT: TALKS\n\n"
                "Classified By: Political Minister Counselor Ann Lee for reasons\n"
                "1.4 (b) and (\nd).\n"
            )
        )
    )

    assert parsed.classified_by == "Political Minister Counselor Ann Lee"
    assert parsed.reasons == ["1.4(b)", "1.4(d)"]
    assert parsed.reasons_raw == "1.4 (b) and ( d)"
    assert [p.number for p in parsed.paragraphs] == ["1"]


def test_classified_by_written_as_paragraph_one_is_read_and_the_paragraph_kept():
    parsed = parse_cable(
        cable(
            header="E.O. 12958: DECL: 12/20/07\nTAGS: PGOV\nSUBJECT: BIO NOTE\n",
            body="1. (U) CLASSIFIED BY: ANN LEE, AMBASSADOR.\nREASONS: 1.5(B) AND (D).\n\n"
            "2. (C) Text.\n",
        )
    )

    assert parsed.classified_by == "ANN LEE, AMBASSADOR"
    assert parsed.reasons == ["1.4(b)", "1.4(d)"]
    assert parsed.reason_section == "1.5"
    assert marks(parsed) == [("1", "U", True), ("2", "C", True)]


def test_a_reason_category_that_does_not_exist_is_reported():
    parsed = parse_cable(
        cable(
            header="E.O. 12958: DECL: 02/10/2016\n\n"
            "Classified By: Ann Lee for reasons 1.5 (b) and (h)\n"
        )
    )

    assert parsed.reasons == ["1.4(b)"]
    assert "REASON_INVALID_CATEGORY" in codes(parsed)


# --- TAGS, SUBJECT, REF, captions --------------------------------------------------------------


def test_tags_keep_person_tags_whole_and_cut_tags_that_lost_their_separators():
    assert read_tags("PGOV, PINS, ZI, MDC, ZANU-PF") == (
        ["PGOV", "PINS", "ZI", "MDC", "ZANU-PF"],
        False,
    )
    assert read_tags("OVIP (RICE, CONDOLEEZZA) PREL")[0] == ["OVIP (RICE, CONDOLEEZZA)", "PREL"]
    assert read_tags("prel, pgov, sy")[0] == ["PREL", "PGOV", "SY"]
    assert read_tags("KFRDCVISCMGTCASCEG") == (["KFRD", "CVIS", "CMGT", "CASC", "EG"], True)


def test_header_fields_that_wrap_are_joined():
    parsed = parse_cable(
        cable(
            header=(
                "SIPDIS\n\nE.O. 12958: DECL: 02/10/2016\n"
                "TAGS: PREL PGOV ECON ENRG KCRM MARR SOCI SCUL VE\nNS\n"
                "SUBJECT: (C) VALDERRAN MINISTER PREVIEWS HARBOR\nACCESS TALKS\n\n"
                "REF: A. VALDERRA 388\n     ¶B. 06 STATE 123456\n¶C. KESTREL BAY 97\n\n"
                "Classified By: DCM Jane Roe, reasons 1.4 (b) and (d)\n"
            )
        )
    )

    assert parsed.tags[-2:] == ["VE", "NS"]
    assert parsed.subject == "VALDERRAN MINISTER PREVIEWS HARBOR ACCESS TALKS"
    assert parsed.subject_marking == Marking(Level.C)
    assert parsed.references == ["VALDERRA 388", "06 STATE 123456", "KESTREL BAY 97"]


def test_reference_items_that_look_like_portion_marks_stay_references():
    parsed = parse_cable(
        cable(
            banner="UNCLAS SECTION 01 OF 02 THE HAGUE 003044",
            header="E.O. 12958: N/A\nTAGS: PTER\nSUBJECT: CT PROPOSALS\n"
            "REF: (A) THE HAGUE 2929 (B) THE HAGUE 2864\n"
            "(C) THE HAGUE 2308; (D) THE HAGUE 2995\n",
            body="1. Text.\n",
        )
    )

    assert parsed.references == [
        "THE HAGUE 2929",
        "THE HAGUE 2864",
        "THE HAGUE 2308",
        "THE HAGUE 2995",
    ]
    assert [p.number for p in parsed.paragraphs] == ["1"]


def test_captions_become_controls_only_where_the_rules_say_so():
    unclas = parse_cable(
        cable(
            banner="UNCLAS VALDERRA 000123",
            header="SENSITIVE\nSIPDIS\n\nE.O. 12958: N/A\n",
            body="1. (U) Text.\n",
        )
    )
    classified = parse_cable(
        cable(header="SIPDIS\nSENSITIVE\nEXDIS\nNODIS\nLIMDIS\n\nE.O. 12958: DECL: 02/10/2016\n")
    )
    rel = parse_cable(
        cable(header="SIPDIS\nRELEASABLE TO NATO/AUST/NZ/ISAF\n\nE.O. 12958: DECL: 02/10/2016\n")
    )

    assert unclas.classification == Marking(Level.U, ("SBU",))
    assert unclas.paragraphs[0].marking == Marking(Level.U)
    # SBU never sits on a classified banner; NODIS beats EXDIS; LIMDIS is a caption only.
    assert classified.classification == Marking(Level.C, ("NODIS",))
    assert classified.captions == ["SIPDIS", "SENSITIVE", "EXDIS", "NODIS", "LIMDIS"]
    assert rel.classification == Marking(Level.C, ("REL TO NATO, AUST, NZ, ISAF",))


def test_captions_glued_to_each_other_and_to_a_passing_line_are_separated():
    parsed = parse_cable(
        cable(header="SIPDISNOFORN SIPDISDEPT FOR EUR/SCE\n\nE.O. 12958: DECL: 02/10/2016\n")
    )

    assert parsed.captions == ["SIPDIS", "NOFORN"]
    assert parsed.passing == ["DEPT FOR EUR/SCE"]
    assert parsed.classification == Marking(Level.C, ("NOFORN",))


# --- paragraphs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "number", "marking", "text"),
    [
        ("¶1. (C) Text.", "1", "C", "Text."),
        ("1. (S/NF) Text.", "1", "S//NF", "Text."),
        ("1.(C) Text.", "1", "C", "Text."),
        ("¶1.  (C)  Text.", "1", "C", "Text."),
        ("12. (C//NF) Text.", "12", "C//NF", "Text."),
        ("5.A. (C) Text.", "5.A", "C", "Text."),
        ("A 1. (S/NF) DIAGNOSES: Text.", "A 1", "S//NF", "DIAGNOSES: Text."),
        ("A. (U) Text.", "A", "U", "Text."),
        ("(SBU) Text.", "", "SBU", "Text."),
        ("(SBU)Text glued to its mark.", "", "SBU", "Text glued to its mark."),
        ("¶1. C) Summary: Text.", "1", "C", "Summary: Text."),
        ("1. (SBU). Summary: Text.", "1", "SBU", "Summary: Text."),
        ("1. (C/REL UK) Text.", "1", "C//REL TO UK", "Text."),
        ("1. (S//REL TO USA, FVEY) Text.", "1", "S//REL TO USA, FVEY", "Text."),
        ("1. (U//FOUO) Text.", "1", "FOUO", "Text."),
        ("1. (S Noforn) Text.", "1", "S//NF", "Text."),
        ("1. (c) text.", "1", "C", "text."),
    ],
)
def test_every_paragraph_marker_shape(line, number, marking, text):
    banner = "S E C R E T VALDERRA 000123"
    parsed = parse_cable(cable(body=f"{line}\n", banner=banner))

    first = parsed.paragraphs[0]
    assert (first.number, str(first.marking), first.explicit, first.text) == (
        number,
        marking,
        True,
        text,
    )


def test_an_unmarked_paragraph_inherits_the_overall_marking_never_u():
    parsed = parse_cable(
        cable(
            banner="S E C R E T VALDERRA 000123",
            header="NOFORN\n\nE.O. 12958: DECL: 02/10/2016\n",
            body="¶1. (C) Marked.\n\n¶2. Not marked.\n",
        )
    )

    unmarked = parsed.paragraphs[1]
    assert (unmarked.marking, unmarked.explicit, unmarked.source) == (
        Marking(Level.S, ("NOFORN",)),
        False,
        "inherited",
    )
    assert any(
        w.startswith("UNMARKED_PORTION: 1 paragraph(s) without a portion mark (2)")
        for w in parsed.warnings
    )
    assert "BANNER_ABOVE_PORTIONS" in codes(parsed)


@pytest.mark.parametrize(
    "statement",
    [
        "1. (C - ENTIRE TEXT).",
        "1. CONFIDENTIAL - ENTIRE TEXT.",
        "1. (C-ENTIRE TEXT)",
        "CONFIDENTIAL - ENTIRE TEXT",
    ],
)
def test_an_entire_text_statement_marks_every_portion(statement):
    parsed = parse_cable(
        cable(
            header="E.O. 12356: DECL: OADR\n",
            body=f"{statement}\n\n2. First point.\n\n3. Second point.\n",
        )
    )

    assert all(p.marking == Marking(Level.C) and p.explicit for p in parsed.paragraphs)
    assert {p.source for p in parsed.paragraphs[-2:]} == {"entire_text"}
    assert "UNMARKED_PORTION" not in codes(parsed)


@pytest.mark.parametrize(
    "prose",
    [
        "1.4 (b) and (d) applies here.",
        "2.5 million people voted.",
        "2009. The year began.",
        "(B) second item",
        "U.S. (SOURCE) said",
    ],
)
def test_text_that_only_looks_like_a_marker_stays_in_its_paragraph(prose):
    parsed = parse_cable(cable(body=f"1. (C) Items:\n(A) first item\n{prose}\n"))

    assert [p.number for p in parsed.paragraphs] == ["1"]
    assert prose in parsed.paragraphs[0].text


def test_c_after_b_in_a_lettered_list_is_a_list_item_not_a_mark():
    parsed = parse_cable(cable(body="1. (C) Three points:\n(A) one;\n(B) two;\n(C) three.\n"))

    assert len(parsed.paragraphs) == 1
    assert parsed.paragraphs[0].text.endswith("(C) three.")


def test_a_numbered_sub_list_does_not_restart_the_paragraphs():
    parsed = parse_cable(
        cable(
            body="4. (C) The plan has steps:\n1. consult;\n2. decide.\n\n5. (C) Next paragraph.\n"
        )
    )

    assert [p.number for p in parsed.paragraphs] == ["4", "5"]
    assert "2. decide." in parsed.paragraphs[0].text


def test_reflowed_paragraphs_are_cut_at_the_next_number_in_mid_line():
    body = (
        "------- SUMMARY ------- 1. (C) First point ends here. 2. (C) Second point. "
        "See para 7. (U) which is not next. 3. (S) Third.\n"
    )
    parsed = parse_cable(cable(banner="S E C R E T VALDERRA 000123", body=body))

    assert marks(parsed) == [("", "S", False), ("1", "C", True), ("2", "C", True), ("3", "S", True)]
    assert parsed.paragraphs[0].heading is True
    assert "UNMARKED_PORTION" not in codes(parsed)  # a heading is not a portion
    assert parsed.paragraphs[2].text == "Second point. See para 7. (U) which is not next."


def test_a_heading_before_paragraph_one_keeps_its_text_as_a_heading():
    parsed = parse_cable(cable(body="Summary\n-------\n\n1. (C) Text.\n"))

    heading = parsed.paragraphs[0]
    assert (heading.number, heading.text, heading.heading, heading.explicit) == (
        "",
        "Summary\n-------",
        True,
        False,
    )


def test_section_breaks_page_headers_and_repeated_classification_lines_are_dropped():
    body = (
        "1. (C) The talks offers VALDERRA 00000123 002 OF 002 Varga an opening.\n"
        "2. (C) Line one\n"
        "VALDERRA 00000123  001.2 OF 002\n"
        "line two  CONFIDENTIAL\n"
        "PAGE 02 VALDERRA 00123 01 OF 02 101530Z\n"
        "line three\n"
        "CONFIDENTIAL\n"
        "C O N F I D E N T I A L SECTION 02 OF 02 VALDERRA 000123\n"
        "line four   \n"
    )
    parsed = parse_cable(cable(body=body))

    assert parsed.paragraphs[0].text == "The talks offers Varga an opening."
    assert parsed.paragraphs[1].text == "Line one\nline two\nline three\nline four"


def test_a_later_sections_repeated_routing_header_is_dropped_from_the_text():
    parsed = parse_file(SAMPLES / "old_1978_page_headers.txt")

    assert parsed.paragraphs[2].text == (
        "BRESK TOLD EMBOFF THAT HIS FIRST TASK WILL BE TO REBUILD \n"
        "THE PARTY ORGANIZATION IN THE \nNORTH."
    )
    assert parsed.paragraphs[1].text.endswith("WON ON THE SECOND BALLOT.")  # footer dropped
    assert parsed.dtg == "211630Z APR 78"
    assert parsed.to == ["SECSTATE WASHDC"]


def test_paragraph_text_is_kept_exactly_apart_from_the_marker():
    body = "1. (C) First line with two trailing spaces  \n  indented second line\n\n\n2. (U) x\n"
    text = cable(body=body)
    parsed = parse_cable(text)

    assert parsed.paragraphs[0].text == (
        "First line with two trailing spaces  \n  indented second line"
    )
    assert (
        parsed.paragraphs[0].line
        == text.split("\n").index("1. (C) First line with two trailing spaces  ") + 1
    )


def test_the_signature_is_read_from_the_last_line_or_from_the_end_of_the_text():
    own_line = parse_cable(cable(body="1. (C) Text.\n"))
    glued = parse_cable(
        cable(body="1. (U) General Roe has cleared this cable. ROE\n").replace("\n\nROE\n", "\n")
    )

    assert own_line.signature == "ROE"
    assert own_line.paragraphs[-1].text == "Text."
    assert glued.signature == "ROE"
    assert glued.paragraphs[-1].text.endswith("cleared this cable. ROE")  # text untouched


# --- overall classification (rules 2.3) --------------------------------------------------------


def test_the_rules_examples_for_the_overall_level():
    assert overall_level(Level.C, [Level.C, Level.U, Level.S]) == (
        Level.S,
        ["BANNER_BELOW_PORTION"],
    )
    assert overall_level(Level.S, [Level.U, Level.U]) == (Level.S, ["BANNER_ABOVE_PORTIONS"])
    assert overall_level(Level.C, [Level.C, Level.U]) == (Level.C, [])
    assert overall_level(None, [Level.C]) == (Level.C, [])


def test_controls_roll_up_into_the_banner_as_the_rules_say():
    assert roll_up(Level.U, ["SBU"]) == ("SBU",)
    assert roll_up(Level.C, ["SBU", "NOFORN"]) == ("NOFORN",)
    assert roll_up(Level.S, ["EXDIS", "NODIS"]) == ("NODIS",)
    assert roll_up(Level.U, ["SBU", "EXDIS"]) == ("EXDIS",)
    assert roll_up(Level.U, ["FOUO", "SBU"]) == ("SBU",)
    assert roll_up(Level.S, ["REL TO USA, GBR, AUS", "REL TO USA, GBR"]) == ("REL TO USA, GBR",)
    assert roll_up(Level.S, ["REL TO USA, GBR", "NOFORN"]) == ("NOFORN",)
    assert roll_up(Level.S, ["REL TO GBR", "REL TO FRA"]) == ("NOFORN",)


def test_a_banner_below_a_portion_is_raised_and_reported():
    parsed = parse_cable(cable(body="1. (C) One.\n\n2. (S) Two.\n"))

    assert parsed.classification == Marking(Level.S)
    assert parsed.banner == Marking(Level.C)
    assert "BANNER_BELOW_PORTION" in codes(parsed)


def test_portion_marks_alone_give_the_level_when_the_banner_is_lost():
    parsed = parse_cable("E.O. 12958: DECL: 02/10/2016\nTAGS: PREL\n\n1. (S) One.\n2. (C) Two.\n")

    assert parsed.classification == Marking(Level.S)
    assert "NO_BANNER" in codes(parsed)


def test_an_unclassified_cable_with_sbu_portions_is_sbu():
    parsed = parse_file(SAMPLES / "unclas_sensitive.txt")

    assert parsed.classification == Marking(Level.U, ("SBU",))
    assert marks(parsed) == [("1", "SBU", True), ("2", "U", True), ("3", "SBU", True)]
    assert "UNMARKED_PORTION" not in codes(parsed)


# --- metadata -----------------------------------------------------------------------------------


def test_a_partial_extract_takes_missing_facts_from_metadata_and_says_so():
    meta = CableMetadata(
        reference_id="04PORTLARKIN212",
        sent_at=datetime(2004, 3, 2, 9, 9, tzinfo=UTC),
        origin="Embassy Port Larkin",
    )

    parsed = parse_file(SAMPLES / "partial_extract.txt", metadata=meta)

    assert (parsed.reference_id, parsed.sent_at, parsed.origin) == (
        "04PORTLARKIN212",
        datetime(2004, 3, 2, 9, 9, tzinfo=UTC),
        "Embassy Port Larkin",
    )
    assert parsed.from_metadata == ["sent_at", "origin"]  # the id came from text + that year
    assert "PARTIAL_EXTRACT" in codes(parsed)
    assert parsed.classification == Marking(Level.C)


def test_metadata_never_overrides_the_text_and_a_different_id_is_reported():
    meta = CableMetadata(
        reference_id="06VALDERRA999", sent_at=datetime(1999, 1, 1, tzinfo=UTC), origin="Somewhere"
    )

    parsed = parse_cable(cable(), metadata=meta)

    assert (parsed.reference_id, parsed.sent_at.year, parsed.origin) == (
        "06VALDERRA123",
        2006,
        "Embassy Valderra",
    )
    assert parsed.from_metadata == []
    assert "REFERENCE_ID_MISMATCH" in codes(parsed)


def test_the_id_comes_from_metadata_when_the_text_has_no_date():
    text = cable(routing="")

    parsed = parse_cable(text, metadata=CableMetadata(reference_id="06VALDERRA123"))

    assert parsed.reference_id == "06VALDERRA123"
    assert parsed.from_metadata == ["reference_id"]
    assert "NO_DATE" in codes(parsed)


def test_load_metadata_index_reads_the_columns_it_needs_and_ignores_the_rest(tmp_path):
    index = tmp_path / "INDEX.tsv"
    index.write_text(
        "file\treference_id\tdate\torigin\tclassification\tsource\n"
        "a.txt\t06VALDERRA123\t2006-02-10 15:03\tEmbassy Valderra\tSECRET\tx\n"
        "b.txt\t\tnot a date\t\tCONFIDENTIAL\ty\n",
        encoding="utf-8",
    )

    loaded = load_metadata_index(index)

    assert loaded["a.txt"] == CableMetadata(
        "06VALDERRA123", datetime(2006, 2, 10, 15, 3, tzinfo=UTC), "Embassy Valderra"
    )
    assert loaded["b.txt"] == CableMetadata(None, None, None)


def test_an_index_without_a_file_column_is_refused(tmp_path):
    index = tmp_path / "INDEX.tsv"
    index.write_text("name\treference_id\n", encoding="utf-8")

    with pytest.raises(ParseError, match=r"INDEX\.tsv:1: metadata index has no 'file' column"):
        load_metadata_index(index)


def test_metadata_for_file_uses_the_index_beside_the_file_then_the_file_name(tmp_path):
    clear_metadata_cache()
    (tmp_path / "INDEX.tsv").write_text(
        "file\treference_id\tdate\torigin\nx.txt\t06VALDERRA123\t2006-02-10 15:03\tEmbassy V\n",
        encoding="utf-8",
    )
    other = tmp_path / "plain"
    other.mkdir()

    assert metadata_for_file(tmp_path / "x.txt").reference_id == "06VALDERRA123"
    assert metadata_for_file(tmp_path / "09KESTRELBAY931.txt") == CableMetadata("09KESTRELBAY931")
    assert metadata_for_file(other / "06MOSCOW1323.html") == CableMetadata("06MOSCOW1323")
    assert metadata_for_file(other / "notes.txt") is None


def test_the_index_is_read_once_per_directory(tmp_path):
    clear_metadata_cache()
    index = tmp_path / "INDEX.tsv"
    index.write_text("file\treference_id\nx.txt\t06A1\n", encoding="utf-8")
    assert metadata_for_file(tmp_path / "x.txt").reference_id == "06A1"

    index.write_text("file\treference_id\nx.txt\t06B2\n", encoding="utf-8")

    assert metadata_for_file(tmp_path / "x.txt").reference_id == "06A1"
    clear_metadata_cache()
    assert metadata_for_file(tmp_path / "x.txt").reference_id == "06B2"


# --- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("", 1, "empty cable"),
        ("\n \n\t\n", 1, "empty cable"),
        ("UNCLAS X 000123\nline\nbad \x00 byte\n", 3, "NUL bytes"),
        ("\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x10\x11\x12\x13" * 4, 1, "binary data"),
        ("\n\nJust a note about lunch.\nNothing else.\n", 3, "no classification line"),
    ],
)
def test_unreadable_input_raises_one_parse_error_naming_source_and_line(text, line, problem):
    with pytest.raises(ParseError) as caught:
        parse_cable(text, source="inbox/note.txt")

    error = caught.value
    assert (error.source, error.line) == ("inbox/note.txt", line)
    assert problem in error.message
    assert str(error).startswith(f"inbox/note.txt:{line}: ")


def test_the_broken_sample_is_refused_with_its_file_name():
    path = SAMPLES / "broken_no_classification.txt"

    with pytest.raises(ParseError, match=r"broken_no_classification\.txt:1: no classification"):
        parse_file(path)


def test_parse_file_names_the_line_of_the_first_byte_that_is_not_utf8(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("UNCLAS X 000123\n\n1. Caf\u00e9 visit.\n".encode("latin-1"))

    with pytest.raises(ParseError) as caught:
        parse_file(path)

    assert caught.value.source == str(path)
    assert caught.value.line == 3
    assert "not UTF-8" in caught.value.message and "0xe9" in caught.value.message


def test_parse_file_reports_a_missing_file_as_a_parse_error(tmp_path):
    with pytest.raises(ParseError, match="cannot read the file"):
        parse_file(tmp_path / "missing.txt")


def test_a_bug_inside_the_parser_still_surfaces_as_a_parse_error(monkeypatch):
    def broken(*args, **kwargs):
        raise IndexError("list index out of range")

    monkeypatch.setattr(parsing_core, "read_body", broken)

    with pytest.raises(ParseError, match="internal error while parsing"):
        parse_cable(cable(), source="x.txt")


def test_parse_errors_survive_pickling_between_worker_processes():
    error = ParseError("empty cable: no text at all", source="a.txt", line=1)

    copy = pickle.loads(pickle.dumps(error))

    assert (copy.message, copy.source, copy.line, str(copy)) == (
        error.message,
        error.source,
        error.line,
        str(error),
    )


# --- JSON -----------------------------------------------------------------------------------------


def test_to_json_dict_has_the_agreed_keys_and_is_json_ready():
    parsed = parse_file(SAMPLES / "full_telegram.txt")

    data = json.loads(json.dumps(parsed.to_json_dict()))

    assert REQUIRED_JSON_KEYS | {
        "dtg", "precedence", "to", "info", "captions", "references", "section_count",
        "signature", "format", "sha256", "source", "reasons_raw", "overall_classification",
    } <= data.keys()  # fmt: skip
    assert (data["reference_id"], data["datetime"], data["classification"], data["controls"]) == (
        "07VALDERRA417",
        "2007-05-08T14:02:00+00:00",
        "SECRET",
        ["NOFORN"],
    )
    assert data["paragraphs"][2] == {
        **data["paragraphs"][2],
        "number": "2",
        "marking": "S//NF",
        "controls": ["NOFORN"],
        "explicit": True,
    }
    assert data["tags"][3] == "OVIP (HALVORSEN, MARTA)"
    assert len(data["sha256"]) == 64


# --- samples and demo cables ----------------------------------------------------------------

SAMPLE_FACTS = {
    "full_telegram.txt": ("07VALDERRA417", "S//NF", "05/07/2017", 8),
    "partial_extract.txt": (None, "C", "03/02/2014", 3),
    "unclas_sensitive.txt": ("08NOVAALMEIDA155", "SBU", "N/A", 3),
    "old_1978_page_headers.txt": ("78TERAMIS2218", "C", "GDS 4/21/84 (HOLLIS, DAVID R.) OR-M", 4),
    "entire_text_1994.txt": ("94OSTRAVEL4512", "C", "OADR", 3),
    "rel_to_noforn.txt": ("09KESTRELBAY931", "S//NF", "10/16/2019", 4),
    "archive_page.html": ("05OSTRAVEL1120", "C", "06/13/2015", 3),
    "scrape.md": ("06PORTLARKIN455", "C", "08/21/2016", 3),
    "mail_wrapper.txt": ("06VALDERRA123", "C", "02/08/2016", 2),
}


@pytest.mark.parametrize("name", sorted(SAMPLE_FACTS))
def test_each_sample_cable_parses_to_its_known_facts(name):
    parsed = parse_file(SAMPLES / name)

    assert (
        parsed.reference_id,
        str(parsed.classification),
        parsed.decl,
        len(parsed.paragraphs),
    ) == SAMPLE_FACTS[name]


def test_the_samples_cover_every_shape_the_tests_rely_on():
    names = {p.name for p in SAMPLES.iterdir()}

    assert names == {*SAMPLE_FACTS, "broken_no_classification.txt"}


def test_the_rel_to_sample_keeps_each_portions_release_list():
    parsed = parse_file(SAMPLES / "rel_to_noforn.txt")

    assert marks(parsed) == [
        ("1", "S//REL TO USA, GBR", True),
        ("2", "S//NF", True),
        ("3", "C//REL TO GBR", True),
        ("4", "U", True),
    ]
    assert parsed.captions == ["SIPDIS", "RELEASABLE TO GBR"]


@pytest.mark.parametrize("path", sorted(DEMO.iterdir()), ids=lambda p: p.name)
def test_each_demo_cable_parses_cleanly_under_its_own_reference_id(path):
    parsed = parse_file(path, metadata=metadata_for_file(path))

    assert parsed.reference_id == path.stem
    assert parsed.from_metadata == []
    assert 1990 <= parsed.sent_at.year <= 2010
    assert parsed.paragraphs and parsed.subject
    assert "REFERENCE_ID_MISMATCH" not in codes(parsed)


def test_the_demo_set_mixes_formats_levels_and_declassification_shapes():
    parsed = [parse_file(p) for p in sorted(DEMO.iterdir())]

    assert len(parsed) == 12
    assert {p.format for p in parsed} == {"text", "html", "markdown"}
    assert {p.classification.level for p in parsed} == {Level.U, Level.C, Level.S}
    decls = {p.decl for p in parsed}
    assert {"OADR", "X1", "25X1-HUMAN", "N/A", None} <= decls
    assert any(d and d[:2].isdigit() for d in decls)  # a dated instruction
