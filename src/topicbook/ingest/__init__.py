"""Reading corpora: transcript folders and text tables, into :class:`Document` objects.

Every reader takes a path (and an optional display name) and returns the document's text with
"\\n" line ends and, where the format knows speakers, ``Speaker: ...`` turn lines:

>>> from topicbook.ingest import read_text_file, read_docx, read_odt, read_pdf, read_subtitles
"""

from topicbook.ingest.corpus import Corpus, Document, corpus_files, read_corpus
from topicbook.ingest.office import read_docx, read_odt
from topicbook.ingest.pdf import read_pdf
from topicbook.ingest.subtitles import read_subtitles
from topicbook.ingest.text import read_text_file

__all__ = ["Corpus", "Document", "corpus_files", "read_corpus", "read_docx", "read_odt", "read_pdf",
           "read_subtitles", "read_text_file"]
