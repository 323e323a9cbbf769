-- See migrations/sqlite for what the access epoch is and which writes move it. Here the
-- triggers are deferred constraint triggers: they run as the transaction commits, so the
-- counter's row is locked only for the commit, not for the rest of a sign-in.
CREATE TABLE access_epoch (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value BIGINT  NOT NULL
);
INSERT INTO access_epoch (id, value) VALUES (1, 0);

CREATE FUNCTION move_access_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE access_epoch SET value = value + 1 WHERE id = 1;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER sessions_end_moves_epoch AFTER DELETE ON sessions
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION move_access_epoch();

CREATE CONSTRAINT TRIGGER sessions_change_moves_epoch AFTER UPDATE ON sessions
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
WHEN ((OLD.id_hash, OLD.user_id, OLD.csrf_token, OLD.created_at, OLD.expires_at,
       OLD.user_agent, OLD.sid)
      IS DISTINCT FROM (NEW.id_hash, NEW.user_id, NEW.csrf_token, NEW.created_at,
                        NEW.expires_at, NEW.user_agent, NEW.sid))
EXECUTE FUNCTION move_access_epoch();

CREATE CONSTRAINT TRIGGER users_end_moves_epoch AFTER DELETE ON users
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION move_access_epoch();

CREATE CONSTRAINT TRIGGER users_change_moves_epoch AFTER UPDATE ON users
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
WHEN ((OLD.github_id, OLD.login, OLD.name, OLD.email, OLD.avatar_url, OLD.created_at,
       OLD.last_login_at, OLD.memberships_verified_at)
      IS DISTINCT FROM (NEW.github_id, NEW.login, NEW.name, NEW.email, NEW.avatar_url,
                        NEW.created_at, NEW.last_login_at, NEW.memberships_verified_at))
EXECUTE FUNCTION move_access_epoch();

CREATE CONSTRAINT TRIGGER memberships_change_moves_epoch
AFTER INSERT OR UPDATE OR DELETE ON memberships
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION move_access_epoch();

CREATE CONSTRAINT TRIGGER login_pins_change_moves_epoch AFTER UPDATE OR DELETE ON login_pins
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION move_access_epoch();

CREATE CONSTRAINT TRIGGER apps_change_moves_epoch AFTER UPDATE OR DELETE ON apps
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION move_access_epoch();

CREATE CONSTRAINT TRIGGER app_rules_change_moves_epoch
AFTER INSERT OR UPDATE OR DELETE ON app_rules
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION move_access_epoch();
