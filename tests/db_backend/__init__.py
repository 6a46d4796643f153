"""The test suite's database backend: Django's PostgreSQL backend, whose flush (what a
transactional test does after itself) calls ``declass_test.flush``, a function of the
test database only (tests/db_roles.py), owned by the superuser: the application role,
which the tests log in as, may not TRUNCATE, and the record tables refuse TRUNCATE."""
