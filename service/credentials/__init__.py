"""Open Badges 3.0 / CLR 2.0 credentials signed with Data Integrity eddsa-rdfc-2022 proofs."""
