"""More shapes of real cables (4): markings, header fields and breaks earlier rounds left.

Each test below marked "defect" failed against the parser before its fix; the others
guard a plausible regression of a shape that already read right.  Every cable is
invented (a fictional post, fictional people) in a shape seen in archives.
"""

from __future__ import annotations

from cables.markings import Level, Marking
from cables.parsing import parse_cable
from tests.cables.cable_text import paragraph_texts as texts
from tests.cables.cable_text import parsed_telegram as cable
from tests.cables.cable_text import telegram

# --- paragraph numbers with a letter glued on ("1A. (S)") -----------------------------------


def test_a_paragraph_numbered_with_a_glued_letter_is_a_portion_of_its_own():
    """Defect: "1A. (S)" stayed in paragraph 1's text and the cable was read CONFIDENTIAL."""
    parsed = cable(
        paragraphs=("1. (C) First.", "1A. (S) Sub one.", "1b. (C) Sub two.", "2. (U) Two.")
    )
    assert [(p.number, str(p.marking)) for p in parsed.paragraphs] == [
        ("1", "C"),
        ("1A", "S"),
        ("1b", "C"),
        ("2", "U"),
    ]
    assert texts(parsed) == ["First.", "Sub one.", "Sub two.", "Two."]
    assert parsed.classification.level == Level.S


def test_a_glued_letter_number_without_a_mark_stays_text():
    parsed = cable(paragraphs=("1. (C) First.", "2A. THE TEXT GOES ON HERE.", "2. (U) Two."))
    assert [p.number for p in parsed.paragraphs] == ["1", "2"]
    assert texts(parsed)[0] == "First.\n\n2A. THE TEXT GOES ON HERE."


# --- the subject's portion mark ------------------------------------------------------------


def test_a_subject_marked_with_a_rel_to_list_gives_its_level_and_controls():
    """Defect: the commas of the REL TO list hid the mark, and a SECRET subject under a
    CONFIDENTIAL banner left the cable CONFIDENTIAL."""
    parsed = cable(subject="(S//REL TO USA, GBR) TALKS RESUME")
    assert parsed.subject == "TALKS RESUME"
    assert parsed.subject_marking == Marking(Level.S, ("REL TO USA, GBR",))
    assert parsed.classification == Marking(Level.S, ("REL TO USA, GBR",))
    assert any(w.startswith("BANNER_BELOW_PORTION") for w in parsed.warnings)


def test_a_subject_starting_with_a_parenthesis_that_is_no_mark_keeps_it():
    parsed = cable(subject="(PART 2, OF 3) TALKS RESUME")
    assert parsed.subject == "(PART 2, OF 3) TALKS RESUME"
    assert parsed.subject_marking is None


# --- foreign government information ------------------------------------------------------


def test_an_fgi_mark_naming_no_country_is_the_fgi_control():
    """Defect: "(FGI-C)" was read as the control "FGI FGI"."""
    parsed = cable(paragraphs=("1. (FGI-C) From a partner.", "2. (GBR-C) From London."))
    assert [p.marking for p in parsed.paragraphs] == [
        Marking(Level.C, ("FGI",)),
        Marking(Level.C, ("FGI GBR",)),
    ]


def test_an_fgi_marking_with_its_countries_reads_back_as_it_is_written():
    """Defect: "S//FGI GBR//NF" (how a "(GBR-S//NF)" portion is written back) was refused."""
    for written in ("C//FGI GBR", "S//FGI DEU GBR//NF", "C//FGI"):
        assert str(Marking.parse(written)) == written


# --- the declassification instruction on the line below the E.O. line ------------------------


def test_a_decl_instruction_wrapped_below_the_eo_line_is_read():
    """Defect: "E.O. 12958: DECL:" with the date on the next line gave MISSING_DECL."""
    for value in ("02/10/2016", "1.6X1", "25X1-human", "OADR", "MR", "20160210"):
        parsed = cable(decl=f"E.O. 12958: DECL:\n{value}")
        assert parsed.decl == value
        assert not any(w.startswith("MISSING_DECL") for w in parsed.warnings)


# --- a subject below an empty SUBJECT line -------------------------------------------


def test_a_subject_alone_below_an_empty_subject_line_keeps_its_mark_and_the_authority():
    """Defect: "SUBJECT:" then "(C) TALKS" on the next line ended the header: the subject
    was lost and the Classified By line became paragraph text."""
    for gap in ("\n", "\n\n"):
        text = telegram(post="VALDERRA", serial=77).replace(
            "SUBJECT: (C) EXAMPLE TALKS RESUME", f"SUBJECT:{gap}(C) EXAMPLE TALKS RESUME"
        )
        parsed = parse_cable(text)
        assert parsed.subject == "EXAMPLE TALKS RESUME"
        assert parsed.subject_marking == Marking(Level.C)
        assert parsed.classified_by == "DCM Jane Doe"
        assert [p.number for p in parsed.paragraphs] == ["1", "2", "3"]


# --- the header a later section repeats -------------------------------------------------------

SECTIONED = """R 101530Z FEB 06
FM AMEMBASSY VALDERRA
TO SECSTATE WASHDC 1234

C O N F I D E N T I A L SECTION 01 OF 02 VALDERRA 000077

SIPDIS

E.O. 12958: DECL: 02/10/2016
TAGS: PREL PGOV XX
SUBJECT: (C) TALKS RESUME AFTER A LONG PAUSE IN THE
CAPITAL OF THE REPUBLIC

Classified By: DCM Jane Doe, reasons 1.4 (b) and (d)

1. (C) The minister said the talks would
resume next week in the capital.

2. (C) He added that the opposition
{cut}
would not take part.

3. (U) The press reported the meeting.

DOE
"""
SECOND_SECTION = """
C O N F I D E N T I A L SECTION 02 OF 02 VALDERRA 000077

SIPDIS

E.O. 12958: DECL: 02/10/2016
TAGS: PREL PGOV XX
SUBJECT: (C) TALKS RESUME AFTER A LONG PAUSE IN THE
CAPITAL OF THE REPUBLIC
"""


def test_the_header_a_later_section_repeats_is_not_paragraph_text():
    """Defect: a raw telegram's second section repeats its captions, E.O., TAGS and
    SUBJECT lines below its classification line; they stayed in the paragraph the
    section break cuts."""
    parsed = parse_cable(SECTIONED.format(cut=SECOND_SECTION))
    assert texts(parsed) == [
        "The minister said the talks would\nresume next week in the capital.",
        "He added that the opposition\nwould not take part.",
        "The press reported the meeting.",
    ]
    assert parsed.subject == "TALKS RESUME AFTER A LONG PAUSE IN THE CAPITAL OF THE REPUBLIC"
    assert parsed.signature == "DOE"
    assert not any(w.startswith("PAGE_MARKING_MISMATCH") for w in parsed.warnings)


def test_a_section_break_between_sentences_keeps_a_blank_line_and_the_text_after_it():
    text = SECTIONED.replace("2. (C) He added that the opposition\n", "2. (C) He added more.\n")
    text = text.replace("\nwould not take part.", "\nTHE PARTY WILL NOT TAKE PART.")
    parsed = parse_cable(text.format(cut=SECOND_SECTION))
    assert texts(parsed)[1] == "He added more.\n\nTHE PARTY WILL NOT TAKE PART."


def test_without_a_second_section_the_blank_line_in_the_paragraph_stays():
    parsed = parse_cable(SECTIONED.format(cut=""))
    assert texts(parsed)[1] == "He added that the opposition\n\nwould not take part."


# --- an archive page's text saved with its entities ---------------------------------------------


def test_a_text_file_whose_newlines_are_entities_is_read_as_the_cable():
    """Defect: the text of an archive page saved without its tags writes each newline as
    "&#x000A;"; the whole cable was one line and refused for want of a classification line."""
    for newline in ("&#x000A;", "&#x000D;&#x000A;", "&#10;"):
        text = telegram(post="VALDERRA", serial=77).replace("\n", newline)
        text = text.replace("the talks would resume", "the talks &amp; visits would resume")
        parsed = parse_cable(text)
        assert parsed.reference_id == "06VALDERRA77"
        assert parsed.classification == Marking(Level.C)
        assert texts(parsed)[0] == "Summary: the minister said the talks & visits would resume."
        assert parsed.signature == "DOE"


def test_an_ampersand_entity_in_a_plain_telegram_is_kept_as_written():
    parsed = cable(paragraphs=("1. (C) He said &quot;no&quot; &amp; left.",))
    assert texts(parsed) == ["He said &quot;no&quot; &amp; left."]


# --- a TAGS line without its colon joined to the E.O. line ------------------------------------


def test_tags_without_a_colon_joined_to_the_eo_line_are_the_tags_not_the_instruction():
    """Defect: "E.O. 12958: DECL: 02/10/2016 TAGS PGOV, PREL" gave the instruction
    "02/10/2016 TAGS PGOV, PREL" and no tags."""
    for line, decl in (
        ("E.O. 12958: DECL: 02/10/2016 TAGS PGOV, PREL", "02/10/2016"),
        ("E.O. 12958: N/A TAGS PGOV PREL", "N/A"),
        ("EO 12958 DECL: 1.6X6 TAG PGOV PREL", "1.6X6"),
    ):
        text = telegram(post="VALDERRA", serial=77, decl=line)
        parsed = parse_cable(text.replace("TAGS: PREL PGOV XX\n", ""))
        assert (parsed.decl, parsed.tags) == (decl, ["PGOV", "PREL"]), line


def test_tags_without_a_colon_on_their_own_line_still_read():
    text = telegram(post="VALDERRA", serial=77).replace("TAGS: PREL PGOV XX", "TAGS PREL, PGOV")
    parsed = parse_cable(text)
    assert (parsed.decl, parsed.tags) == ("02/10/2016", ["PREL", "PGOV"])


# --- the reason on a line of its own below the Classified By line ------------------------------


def test_a_reason_line_after_a_blank_line_below_classified_by_is_its_reason():
    """Defect: "Reason: 1.4 (b) and (d)" set off by a blank line became an unmarked
    first paragraph, and the cable was reported MISSING_REASON."""
    text = telegram(post="VALDERRA", serial=77).replace(
        "Classified By: DCM Jane Doe, reasons 1.4 (b) and (d)",
        "Classified By: DCM Jane Doe\n\nReason: 1.4 (b) and (d)",
    )
    parsed = parse_cable(text)
    assert (parsed.classified_by, parsed.reasons) == ("DCM Jane Doe", ["1.4(b)", "1.4(d)"])
    assert [p.number for p in parsed.paragraphs] == ["1", "2", "3"]
    assert not any(w.startswith(("MISSING_REASON", "UNMARKED")) for w in parsed.warnings)


def test_a_second_reason_line_after_a_complete_authority_stays_text():
    text = telegram(post="VALDERRA", serial=77).replace(
        "Classified By: DCM Jane Doe, reasons 1.4 (b) and (d)",
        "Classified By: DCM Jane Doe, reasons 1.4 (b) and (d)\n\nReason: 1.4 (g)",
    )
    parsed = parse_cable(text)
    assert parsed.reasons == ["1.4(b)", "1.4(d)"]
    assert texts(parsed)[0] == "Reason: 1.4 (g)"


# --- line endings converted twice -------------------------------------------------------------

SEVENTIES = """R 041125Z MAR 75
FM AMEMBASSY VALDERRA
TO SECSTATE WASHDC 475

C O N F I D E N T I A L VALDERRA 2069

E.O. 11652: GDS
TAGS: PINT XX
SUBJECT: NEW PARTY CREATED

1. THE KING ANNOUNCED A SINGLE PARTY ON MARCH 2. THE NEW
PARTY WILL BE THE ONLY ONE ALLOWED.

2. REACTION IS LIKELY TO RANGE FROM INDIFFERENCE TO ALARM.
OBSERVERS EXPECT LITTLE CHANGE.

GRAYSON
"""


def test_a_file_whose_line_endings_were_converted_twice_reads_like_the_plain_one():
    """Defect: "\\r\\r\\n" (CRLF converted to CRLF again) was read as two line breaks, so
    every line of the cable was set off by a blank line in the paragraphs' text."""
    plain = parse_cable(SEVENTIES)
    twice = parse_cable(SEVENTIES.replace("\n", "\r\r\n"))
    assert [(p.number, p.text, p.line) for p in twice.paragraphs] == [
        (p.number, p.text, p.line) for p in plain.paragraphs
    ]
    assert texts(twice)[0].split("\n") == [
        "THE KING ANNOUNCED A SINGLE PARTY ON MARCH 2. THE NEW",
        "PARTY WILL BE THE ONLY ONE ALLOWED.",
    ]
    assert (twice.subject, twice.signature) == ("NEW PARTY CREATED", "GRAYSON")


# --- administrative controls written out in a portion mark -------------------------------------


def test_official_use_controls_written_out_in_a_portion_mark_are_read():
    """Defect: "(LIMITED OFFICIAL USE)" and "(U//FOR OFFICIAL USE ONLY)" were not read as
    marks: the paragraphs were unmarked and reported UNMARKED_PORTION."""
    parsed = cable(
        banner="UNCLASSIFIED",
        decl="E.O. 12958: N/A",
        subject="VISA TALKS",
        paragraphs=(
            "1. (LIMITED OFFICIAL USE) Older wording.",
            "2. (U//FOR OFFICIAL USE ONLY) Another agency's.",
            "3. (U) Plain.",
        ),
    )
    assert [p.marking for p in parsed.paragraphs] == [
        Marking(Level.U, ("LOU",)),
        Marking(Level.U, ("FOUO",)),
        Marking(Level.U),
    ]
    assert all(p.explicit for p in parsed.paragraphs)
    assert not any(w.startswith("UNMARKED_PORTION") for w in parsed.warnings)


# --- a long mark in mid-line in reflowed text ---------------------------------------------------


def test_a_reflowed_paragraph_with_a_five_eyes_rel_to_mark_in_mid_line_is_cut_there():
    """Defect: a mid-line marker was read only with a mark of up to 30 characters, so
    "2. (S//REL TO USA, AUS, CAN, GBR, NZL)" stayed in paragraph 1 (CONFIDENTIAL)."""
    parsed = cable(
        paragraphs=(
            "1. (C) First sentence here. 2. (S//REL TO USA, AUS, CAN, GBR, NZL) Second"
            " here. 3. (U) Third.",
        )
    )
    assert [(p.number, p.text) for p in parsed.paragraphs] == [
        ("1", "First sentence here."),
        ("2", "Second here."),
        ("3", "Third."),
    ]
    assert parsed.paragraphs[1].marking == Marking(Level.S, ("REL TO USA, AUS, CAN, GBR, NZL",))
    assert parsed.classification.level == Level.S


# --- a person tag on a wrapped TAGS line ---------------------------------------------------------


def test_a_person_tag_on_a_wrapped_tags_line_is_kept_whole():
    """Defect: a wrapped TAGS line holding "OVIP (RICE, CONDOLEEZZA)", or the rest of a
    name cut by the wrap, was no TAGS line: the person tag and the tags after it were lost."""
    for wrapped in (
        "TAGS: PREL, PGOV, KDEM\n      OVIP (RICE, CONDOLEEZZA), XX",
        "TAGS: PREL, PGOV, KDEM, OVIP (RICE,\n      CONDOLEEZZA), XX",
    ):
        text = telegram(post="VALDERRA", serial=77).replace("TAGS: PREL PGOV XX", wrapped)
        parsed = parse_cable(text)
        assert parsed.tags == ["PREL", "PGOV", "KDEM", "OVIP (RICE, CONDOLEEZZA)", "XX"]
        assert parsed.subject == "EXAMPLE TALKS RESUME"


def test_a_sentence_in_parentheses_below_the_tags_is_no_tag():
    text = telegram(post="VALDERRA", serial=77).replace(
        "TAGS: PREL PGOV XX", "TAGS: PREL, PGOV, OVIP (RICE,\nthe visit is off)"
    )
    parsed = parse_cable(text)
    assert parsed.tags == ["PREL", "PGOV", "OVIP (RICE,"]


# --- routing keywords followed by a tab or a colon ----------------------------------------------


def test_routing_keywords_followed_by_a_tab_or_a_colon_still_give_the_routing():
    """Defect: "FM\\tAMEMBASSY ..." or "FM: AMEMBASSY ..." (as transcriptions write them)
    was no routing line: the originator, origin and addressees were lost."""
    for sep in ("\t", ": ", ":\t", " : "):
        text = telegram(post="VALDERRA", serial=77)
        for keyword in ("FM", "TO", "INFO"):
            text = text.replace(f"\n{keyword} ", f"\n{keyword}{sep}", 1)
        parsed = parse_cable(text)
        assert (parsed.originator, parsed.origin) == ("AMEMBASSY VALDERRA", "Embassy Valderra")
        assert parsed.to == ["SECSTATE WASHDC"], repr(sep)
        assert parsed.info == ["EUROPEAN POLITICAL COLLECTIVE"], repr(sep)


# --- a letter-spaced caption ------------------------------------------------------------------


def test_a_letter_spaced_caption_carries_its_control():
    """Defect: "N O D I S" or "E X D I S" under the classification line (letter-spaced as
    the line above it) was a passing line, and the cable lost its NODIS or EXDIS."""
    for caption, control in (
        ("N O D I S", "NODIS"),
        ("E X D I S", "EXDIS"),
        ("N O F O R N", "NOFORN"),
    ):
        text = telegram(post="VALDERRA", serial=77).replace("SIPDIS\n", f"{caption}\n")
        parsed = parse_cable(text)
        assert parsed.captions == [control]
        assert control in parsed.classification.controls
        assert parsed.passing == []


def test_letter_spaced_letters_that_are_no_caption_stay_a_passing_line():
    text = telegram(post="VALDERRA", serial=77).replace("SIPDIS\n", "A B C D E\n")
    parsed = parse_cable(text)
    assert (parsed.captions, parsed.passing) == ([], ["A B C D E"])


# --- a reference in parentheses is no foreign government mark -----------------------------------


def test_a_reference_in_parentheses_at_a_line_start_is_text_not_an_fgi_mark():
    """Defect: "(Ref C) A credible report ..." was read as the portion mark C with the
    control "FGI REF": a new CONFIDENTIAL portion cut out of its paragraph."""
    parsed = cable(
        paragraphs=(
            "1. (U) The Ambassador raised the case of the missing citizen.\n"
            "(Ref C) A credible report supports the family's belief.",
            "2. (U) Two.",
        ),
    )
    assert [p.number for p in parsed.paragraphs] == ["1", "2"]
    assert texts(parsed)[0].endswith("(Ref C) A credible report supports the family's belief.")
    assert all(not c.startswith("FGI") for p in parsed.paragraphs for c in p.marking.controls)


# --- a higher mark inside a paragraph's text ----------------------------------------------------


def test_a_higher_mark_after_a_title_inside_a_paragraph_starts_a_portion_of_its_own():
    """Defect: "(U) Title: (S//NF) The October ..." (a report summarised under its own
    mark) was one paragraph marked U: SECRET//NOFORN text was handled as unclassified."""
    for gap in (" ", "\n"):
        parsed = cable(
            banner="S E C R E T",
            paragraphs=(
                "1. (S) First.",
                f"2. (U) AF - Valderra - An examination of two groups:{gap}(S//NF) The October"
                "\nkidnapping magnified their role.",
                "3. (U) Three.",
            ),
        )
        assert [(p.number, str(p.marking), p.text) for p in parsed.paragraphs] == [
            ("1", "S", "First."),
            ("2", "U", "AF - Valderra - An examination of two groups:"),
            ("", "S//NF", "The October\nkidnapping magnified their role."),
            ("3", "U", "Three."),
        ]
        assert parsed.paragraphs[2].portion_mark == "(S//NF)"
        assert parsed.classification == Marking(Level.S, ("NOFORN",))


def test_marks_inside_a_paragraph_at_or_below_its_own_and_list_items_stay_in_it():
    paragraphs = (
        "1. (S) The network is large. (U) Boats are easy to buy. (S) We know its members.",
        "2. (U) Three options: (A) Wait. (B) Talk. (C) Leave.",
        "3. (C) He left (Note: C) Reuters. (NOTE) The rest. See (Ref C) Above.",
    )
    parsed = cable(banner="S E C R E T", paragraphs=paragraphs)
    assert [p.number for p in parsed.paragraphs] == ["1", "2", "3"]
    assert [str(p.marking) for p in parsed.paragraphs] == ["S", "U", "C"]


# --- entities escaped twice by a mirror ---------------------------------------------------------


def test_an_archive_page_whose_entities_were_escaped_twice_is_read():
    """Defect: a mirror that escaped the archive's escaped page writes "&amp;#x000A;" for
    each newline and "&amp;nbsp;" for a space: the cable was one line and refused, or its
    first paragraph's mark was hidden behind "&nbsp;"."""
    text = telegram(post="VALDERRA", serial=77).replace("1. (C)", "1.&nbsp;(C)")
    text = text.replace("&", "&amp;")
    for newline in ("&amp;#x000A;", "&amp;#10;"):
        page = f"<html><body><pre>{text.replace(chr(10), newline)}</pre></body></html>"
        parsed = parse_cable(page)
        assert parsed.reference_id == "06VALDERRA77"
        assert [(p.number, str(p.marking)) for p in parsed.paragraphs] == [
            ("1", "C"),
            ("2", "U"),
            ("3", "C"),
        ]
        assert texts(parsed)[0] == "Summary: the minister said the talks would resume."


def test_an_ampersand_escaped_once_on_an_archive_page_is_decoded_once():
    text = telegram(post="VALDERRA", serial=77).replace("the talks", "R&amp;D talks &amp;lt;")
    parsed = parse_cable(f"<html><body><pre>{text}</pre></body></html>")
    assert texts(parsed)[0] == "Summary: the minister said R&D talks &lt; would resume."


# --- a sub-paragraph number without its last period ---------------------------------------------


def test_a_sub_paragraph_number_without_its_last_period_starts_a_portion_when_marked():
    """Defect: "1.A (S) Sub." (the period after the letter left out) stayed in paragraph
    1's text, and its SECRET mark with it."""
    parsed = cable(paragraphs=("1. (C) First.", "1.A (S) Sub.", "1.b (C) Sub two.", "2. (U) Two."))
    assert [(p.number, str(p.marking), p.text) for p in parsed.paragraphs] == [
        ("1", "C", "First."),
        ("1.A", "S", "Sub."),
        ("1.b", "C", "Sub two."),
        ("2", "U", "Two."),
    ]


def test_a_decimal_or_an_unmarked_sub_number_without_its_period_stays_text():
    parsed = cable(paragraphs=("1. (C) First.\n1.4 (b) and (d) apply.\n1.A THE TEXT GOES ON.",))
    assert [p.number for p in parsed.paragraphs] == ["1"]
    assert texts(parsed) == ["First.\n1.4 (b) and (d) apply.\n1.A THE TEXT GOES ON."]


# --- a scrape's footer below the cable ----------------------------------------------------------

SCRAPE_HEAD = "# 06VALDERRA77\n\n[Back to the index](https://mirror.example/cables)\n\n"


def test_a_markdown_scrapes_footer_below_a_rule_is_not_the_last_paragraph():
    """Defect: "* * *" then the site's footer was glued to the last paragraph, and the
    signer's name above it was read as text."""
    for rule in ("* * *", "---", "***"):
        text = SCRAPE_HEAD + telegram(post="VALDERRA", serial=77)
        text += f"\n{rule}\n\nScraped from a public archive. Formatting may differ.\n"
        parsed = parse_cable(text)
        assert parsed.format == "markdown"
        assert texts(parsed)[-1] == "Comment: we expect little progress. End comment."
        assert parsed.signature == "DOE", rule


def test_the_signers_name_below_a_rule_in_a_markdown_scrape_stays_the_signature():
    text = SCRAPE_HEAD + telegram(post="VALDERRA", serial=77).replace("\nDOE", "\n---\n\nDOE")
    parsed = parse_cable(text)
    assert parsed.signature == "DOE"
    assert texts(parsed)[-1] == "Comment: we expect little progress. End comment."


def test_an_archive_pages_footer_element_is_not_cable_text():
    """Defect: a page with the header in <pre> and the text in <p> kept its <footer> as
    the last paragraph's text, and the signer's name above it was lost."""
    head, body = telegram(post="VALDERRA", serial=77).split("Classified By", 1)
    paragraphs = "".join(f"<p>{block}</p>" for block in ("Classified By" + body).split("\n\n"))
    page = (
        f"<html><body><nav>Home | Cables</nav><pre>{head}</pre>{paragraphs}"
        "<footer>Mirror of a public archive.</footer></body></html>"
    )
    parsed = parse_cable(page)
    assert texts(parsed)[-1] == "Comment: we expect little progress. End comment."
    assert parsed.signature == "DOE"


# --- a paragraph number that lost its period ------------------------------------------------------


def test_the_next_paragraph_number_without_its_period_starts_a_portion_when_marked():
    """Defect: "2 (S) Second." (the period left out) or "2, (S)" (read as a comma by OCR)
    stayed in paragraph 1's text, and its SECRET mark with it."""
    for number in ("2 ", "2, "):
        parsed = cable(paragraphs=("1. (C) First.", f"{number}(S) Second.", "3. (U) Third."))
        assert [(p.number, str(p.marking), p.text) for p in parsed.paragraphs] == [
            ("1", "C", "First."),
            ("2", "S", "Second."),
            ("3", "U", "Third."),
        ]


def test_a_count_before_a_parenthesis_in_prose_is_no_paragraph_number():
    parsed = cable(paragraphs=("1. (C) First:\n2 (U.S.) officers came.\n9 (C) was not next.",))
    assert [p.number for p in parsed.paragraphs] == ["1"]
