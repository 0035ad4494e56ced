-- events: the canonical experience-event table every cai-sql template reads.
-- Grain: one row per event. Timestamps are naive UTC.
-- Columns: customer_id, ts, event_type (XDM eventType, e.g. 'commerce.purchases'),
--          value (revenue for purchases, NULL when the event has no amount), event_id (source id).
-- Extra columns named in an ingest mapping are added after these. Parameters: none.
-- Contract: table events (the canonical input every stage reads).
CREATE TABLE IF NOT EXISTS events (
    customer_id VARCHAR NOT NULL,
    ts          TIMESTAMP NOT NULL,
    event_type  VARCHAR NOT NULL,
    value       DOUBLE,
    event_id    VARCHAR
);
