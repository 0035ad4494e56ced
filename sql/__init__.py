"""SQL templates shipped with cai-sql (installed as ``cai_sql.sql``); read them with cai_sql.sqlfiles."""
