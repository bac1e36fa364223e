"""Documents signed by the agencies (issue 17): PAdES signatures with each agency's key
(``keys``: PKCS#12 files or a PKCS#11 token), their public record and verification page,
and a local test CA for development and tests (``testca``)."""
