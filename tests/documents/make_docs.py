"""Real documents built in the tests, with known facts in known places."""

import io
from pathlib import Path

# Facts for the retrieval test: (page, section heading, fact sentence, question). One fact per page;
# the other pages hold filler about different subjects so the fact's words are rare elsewhere.
FACTS = [
    (
        2,
        "Harbour",
        "The lighthouse keeper Orla Vance painted the tower crimson in 1911.",
        "Who painted the lighthouse tower crimson?",
    ),
    (
        4,
        "Bakery",
        "The bakery on Quill Street sells rye loaves baked with caraway seeds every Thursday.",
        "Which day are the caraway rye loaves baked?",
    ),
    (
        5,
        "Observatory",
        "The observatory telescope has a mirror of 2.4 metres polished by hand in Jena.",
        "How large is the mirror of the observatory telescope?",
    ),
    (
        7,
        "Railway",
        "The narrow gauge railway climbs 740 metres to the glacier station of Firnbach.",
        "How high does the narrow gauge railway climb to the glacier station?",
    ),
    (
        9,
        "Library",
        "The town library keeps a herbarium of 3,200 pressed alpine flowers in oak cabinets.",
        "How many pressed flowers are in the library herbarium?",
    ),
    (
        11,
        "Market",
        "Saffron at the Saturday market costs nine florins for a pouch of ten grams.",
        "What does saffron cost at the Saturday market?",
    ),
    (
        13,
        "Brewery",
        "The abbey brewery ferments its dark ale with honey from the monastery hives.",
        "What does the abbey brewery ferment its dark ale with?",
    ),
    (
        15,
        "Bridge",
        "The suspension bridge over the Vellin gorge was opened by engineer Tomasz Grell.",
        "Who opened the suspension bridge over the gorge?",
    ),
    (
        17,
        "Museum",
        "The clock museum displays an astronomical clock with a moon-phase dial made of lapis.",
        "What is the moon-phase dial of the astronomical clock made of?",
    ),
    (
        19,
        "Orchard",
        "The orchard grows forty varieties of quince, and the harvest festival is in October.",
        "When is the quince harvest festival?",
    ),
]
FILLER = (
    "The committee met again to discuss the annual report, the budget of the coming season and the "
    "schedule of public meetings. Members agreed that minutes should be circulated within a week and "
    "that the treasurer would present revised figures at the next session."
)


def write_pdf(path: Path, pages: list[tuple[str, list[str]]], outline: bool = True, **encryption) -> Path:
    """One page per (heading, paragraphs); the heading is also a bookmark when `outline`."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    for heading, paragraphs in pages:
        pdf.add_page()
        if heading:
            if outline:
                pdf.start_section(heading)
            pdf.set_font("helvetica", style="B", size=14)
            pdf.cell(0, 10, heading, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("helvetica", size=11)
        for paragraph in paragraphs:
            pdf.multi_cell(0, 6, paragraph, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(4)
    if encryption:
        pdf.set_encryption(**encryption)
    pdf.output(str(path))
    return path


def fact_pdf_pages(page_count: int = 20) -> list[tuple[str, list[str]]]:
    by_page = {page: (heading, fact) for page, heading, fact, _ in FACTS}
    pages = []
    for number in range(1, page_count + 1):
        heading, fact = by_page.get(number, (f"Council minutes {number}", None))
        paragraphs = [FILLER] + ([fact] if fact else []) + [FILLER]
        pages.append((heading, paragraphs))
    return pages


def write_image_only_pdf(path: Path) -> Path:
    from fpdf import FPDF
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (400, 200), "white")
    ImageDraw.Draw(image).text((20, 80), "Scanned page with words only in pixels", fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    pdf = FPDF()
    pdf.add_page()
    pdf.image(buffer, x=10, y=10, w=180)
    pdf.output(str(path))
    return path


def write_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_heading("Field guide", level=0)
    document.add_heading("Birds", level=1)
    document.add_paragraph("The kestrel hovers over meadows while hunting voles.")
    document.add_heading("Raptors at night", level=2)
    document.add_paragraph("The tawny owl calls from oak woods after dusk.")
    document.add_heading("Mammals", level=1)
    document.add_paragraph("The dormouse sleeps through the winter in a woven nest.")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "badger"
    table.rows[0].cells[1].text = "sett"
    document.save(str(path))
    return path


def write_epub(path: Path) -> Path:
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("hearth-test-book")
    book.set_title("Two Voyages")
    book.set_language("en")
    chapters = []
    for number, (title, body) in enumerate(
        [
            ("The Northern Sea", "The schooner Albatross wintered in the ice near Spitsbergen."),
            ("The Southern Islands", "On the atoll the crew found fresh water under the coral sand."),
        ],
        start=1,
    ):
        chapter = epub.EpubHtml(title=title, file_name=f"chapter{number}.xhtml", lang="en")
        chapter.content = f"<h1>{title}</h1><p>{body}</p><h2>Log</h2><p>Entry {number} of the log.</p>"
        book.add_item(chapter)
        chapters.append(chapter)
    book.toc = chapters
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = ["nav", *chapters]
    epub.write_epub(str(path), book)
    return path


NOISY_HTML = """<!doctype html><html><head><title>Otter facts</title></head><body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/shop">Shop now</a></li>
<li><a href="/about">About us</a></li></ul></nav></header>
<div class="sidebar"><h3>Related</h3><ul><li><a href="/x">Click here for deals</a></li>
<li><a href="/y">Subscribe to newsletter</a></li></ul></div>
<main><article><h1>Sea otters</h1>
<p>Sea otters hold hands while sleeping so that they do not drift apart. This behaviour is called
rafting and groups can reach more than one hundred animals in calm kelp forests.</p>
<h2>Diet</h2>
<p>A sea otter eats about a quarter of its body weight every day, mostly sea urchins, crabs and
clams, which it cracks open with stones carried on its chest while floating.</p>
<p>Otters keep a favourite stone in a pouch of loose skin under the forearm for many years.</p>
</article></main>
<footer><p>Copyright 2026 Example Corp. All rights reserved. Privacy policy. Cookie settings.</p></footer>
</body></html>"""

MARKDOWN = """# Garden notes

Tomatoes need staking before the first truss sets.

## Pests

Aphids gather under the leaves; a spray of soapy water helps.

```
# not a heading: code
```

Watering
--------

Water the beds at dawn so leaves dry before noon.
"""

LATIN1_TEXT = (
    "Le café de la gare ouvre à six heures. On y sert une crème brûlée très appréciée des voyageurs.\n\n"
    "Les employés préfèrent le thé; le pâtissier est né à Besançon, près de la frontière."
)

# A short PDF for hybrid retrieval, one topic per page (page = index + 1), and questions about it.
# "keyword" questions reuse the page's rare words; "paraphrase" questions say the same in other
# words, sharing only common ones ("the", "who") or words that sit on other pages ("its", "children").
HYBRID_PAGES = [  # (heading, the fact, an aside): one paragraph per page
    (
        "Harbour",
        "The lighthouse keeper Orla Vance painted the tower crimson in 1911.",
        "Fishing boats are moored along the stone quay.",
    ),
    (
        "Bakery",
        "The bakery on Quill Street bakes rye loaves with caraway seeds every Thursday.",
        "The ovens are lit before dawn.",
    ),
    (
        "Observatory",
        "The observatory telescope has a mirror of 2.4 metres polished by hand in Jena.",
        "Visitors may look through it on clear nights.",
    ),
    (
        "Railway",
        "The narrow gauge railway climbs 740 metres to the glacier station of Firnbach.",
        "Trains leave the valley every hour.",
    ),
    (
        "Clinic",
        "The village clinic vaccinates children against measles free of charge on Mondays.",
        "Patients should bring their health card.",
    ),
    ("Market", "Saffron at the Saturday market costs nine florins for a pouch of ten grams.", "Stalls open at eight."),
    (
        "Brewery",
        "The abbey brewery ferments its dark ale with honey from the monastery hives.",
        "The cellar stays cool all year.",
    ),
    (
        "Bridge",
        "The suspension bridge over the Vellin gorge was opened by engineer Tomasz Grell.",
        "Its cables were spun from Swedish steel.",
    ),
    (
        "School",
        "Pupils at the hill school learn to play the violin from their second year.",
        "Lessons end at three in the afternoon.",
    ),
    ("Ferry", "The ferry to Skarn island carries bicycles but not cars.", "Tickets are sold on board."),
]
HYBRID_QUESTIONS = [  # (question, page of the answer, kind)
    ("Who gave the beacon its red colour?", 1, "paraphrase"),
    ("On what weekday is the seeded bread made?", 2, "paraphrase"),
    ("How big is the stargazing reflector?", 3, "paraphrase"),
    ("Where can kids get their jabs at no cost?", 5, "paraphrase"),
    ("Who inaugurated the span across the ravine?", 8, "paraphrase"),
    ("What sweetens the monks' beer?", 7, "paraphrase"),
    ("Who painted the lighthouse tower crimson?", 1, "keyword"),
    ("How high does the narrow gauge railway climb to the glacier station?", 4, "keyword"),
    ("Which vaccine does the village clinic give children?", 5, "keyword"),
    ("What does saffron cost at the Saturday market?", 6, "keyword"),
    ("Does the ferry to Skarn island carry bicycles?", 10, "keyword"),
]


def write_hybrid_pdf(path: Path) -> Path:
    return write_pdf(path, [(heading, [f"{fact} {aside}"]) for heading, fact, aside in HYBRID_PAGES])
