"""The explanation pages under /learn/ and which search result links to which of them."""
