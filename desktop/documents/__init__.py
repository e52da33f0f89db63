"""Documents: dropped file → extractor → chunks → library index → retrieval → grounded prompt.

- detect.detect_kind / extract.extract(path, cancel)  → blocks.Extracted (blocks with page, section)
- chunker.chunk_blocks(blocks, count_tokens, ...)     → chunker.Chunk (file, page, section, offsets)
- library.Library: add / documents / remove / chunks / text / bm25, in HEARTH_HOME/documents
- batch.add_paths(library, paths, on_progress, cancel) → batch.BatchReport (one message per bad file)
- retrieval.search(question, doc_ids, k, library, dense) → [retrieval.Hit], BM25 fused with a dense
  ranking by reciprocal rank when a dense scorer is given
- citations: Hit.citation(n, question) is the `ask --json` citation; sources_block(hits) is the
  delimited data block a grounded prompt quotes as [1], [2], ...
"""
