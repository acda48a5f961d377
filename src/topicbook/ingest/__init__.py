"""Reading corpora: transcript folders and text tables, into :class:`Document` objects.

>>> from topicbook.ingest import read_text_file  # one transcript, encoding detected
"""

from topicbook.ingest.corpus import Corpus, Document, read_corpus
from topicbook.ingest.text import read_text_file

__all__ = ["Corpus", "Document", "read_corpus", "read_text_file"]
