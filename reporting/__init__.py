"""What a run did: its record in ML Metadata, progress, the closing summary and the HTML report."""
