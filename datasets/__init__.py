"""Generators of the bundled demo data (installed as ``twin_datasets``, not ``datasets``, which is
Hugging Face's). ``twin_datasets.sample_district`` builds a small planned Korean district."""
