-- Cross-cutting tables owned by helium-framework rather than by any one module.

-- Module configuration: one JSON document per module key (`auth`, `admin-jwt`, ...).
-- Typed and validated in Rust; PostgreSQL only stores the document.
CREATE TABLE public.application__config (
    key        TEXT PRIMARY KEY,
    content    JSONB NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Every worker keeps the Redis copy of the configuration fresh. Operators may edit this table
-- by hand (the documented `INSERT ... ON CONFLICT` recipe), so the notification comes from a
-- trigger instead of from the code paths that write through the CLI.
CREATE FUNCTION public.application__config_notify() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('application_config_changed', OLD.key);
        RETURN OLD;
    END IF;
    PERFORM pg_notify('application_config_changed', NEW.key);
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER application__config_changed
    AFTER INSERT OR UPDATE OR DELETE ON public.application__config
    FOR EACH ROW EXECUTE FUNCTION public.application__config_notify();

-- Transactional outbox: a module writes its event here in the same transaction as the change
-- it describes; the relay publishes it to RabbitMQ after commit and stamps `relayed_at`.
-- A crash between commit and publish therefore delays an event but never loses it.
CREATE TABLE public.outbox_event (
    id          UUID PRIMARY KEY,
    routing_key TEXT NOT NULL,
    -- The protobuf type name, so consumers can decode without guessing.
    type_name   TEXT NOT NULL,
    payload     BYTEA NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    relayed_at  TIMESTAMPTZ
);

-- The relay only ever scans the pending tail; keep that scan cheap however large the table is.
CREATE INDEX outbox_event_pending ON public.outbox_event (id) WHERE relayed_at IS NULL;
