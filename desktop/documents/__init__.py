"""Documents: dropped file → extractor → chunks → library index → retrieval → grounded prompt."""
