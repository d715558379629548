"""Data sources (image folders, labels files, IDX, arrays, paired folders) and splits."""
