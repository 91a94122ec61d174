"""Reports: read-only queries over the other rooms, exports and certificate PDFs."""
