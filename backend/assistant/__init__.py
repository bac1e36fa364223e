"""The assistant ("Trợ lý", issue 19): questions in everyday Vietnamese (or English)
answered from the catalogue alone, with the procedures cited."""
