-- The access epoch (src/cache.rs): one counter that moves, in the same transaction, with every
-- write that could make a remembered session wrong. Each instance keeps sessions in memory
-- and believes them only while this counter reads as it did when they were read; so a
-- session ended anywhere (another instance, the command line, an operator's own SQL) is
-- refused everywhere at its next request. Triggers, not the app's code, move it, so that no
-- writer can forget to.
CREATE TABLE access_epoch (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
);
INSERT INTO access_epoch (id, value) VALUES (1, 0);

-- A session ends (sign-out, expiry, the webhook, account deletion, `users sign-out`).
CREATE TRIGGER sessions_end_moves_epoch AFTER DELETE ON sessions
BEGIN
    UPDATE access_epoch SET value = value + 1 WHERE id = 1;
END;

-- A session changes in anything but its last use (which is written once a minute per
-- session and only ever makes it more alive).
CREATE TRIGGER sessions_change_moves_epoch AFTER UPDATE ON sessions
WHEN (OLD.id_hash, OLD.user_id, OLD.csrf_token, OLD.created_at, OLD.expires_at,
      OLD.user_agent, OLD.sid)
  IS NOT (NEW.id_hash, NEW.user_id, NEW.csrf_token, NEW.created_at, NEW.expires_at,
          NEW.user_agent, NEW.sid)
BEGIN
    UPDATE access_epoch SET value = value + 1 WHERE id = 1;
END;

-- A person is deleted, or what a page or a proxy is told about them changes (a sign-in
-- copies GitHub's data in; the webhook makes memberships due for a recheck).
CREATE TRIGGER users_end_moves_epoch AFTER DELETE ON users
BEGIN
    UPDATE access_epoch SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER users_change_moves_epoch AFTER UPDATE ON users
WHEN (OLD.github_id, OLD.login, OLD.name, OLD.email, OLD.avatar_url, OLD.created_at,
      OLD.last_login_at, OLD.memberships_verified_at)
  IS NOT (NEW.github_id, NEW.login, NEW.name, NEW.email, NEW.avatar_url, NEW.created_at,
          NEW.last_login_at, NEW.memberships_verified_at)
BEGIN
    UPDATE access_epoch SET value = value + 1 WHERE id = 1;
END;

-- The memberships the allow-lists and the apps' rules admit by, and the groups they name.
CREATE TRIGGER memberships_insert_moves_epoch AFTER INSERT ON memberships
BEGIN
    UPDATE access_epoch SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER memberships_update_moves_epoch AFTER UPDATE ON memberships
BEGIN
    UPDATE access_epoch SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER memberships_delete_moves_epoch AFTER DELETE ON memberships
BEGIN
    UPDATE access_epoch SET value = value + 1 WHERE id = 1;
END;

-- A login pin that moves or goes (a new pin only ever admits).
CREATE TRIGGER login_pins_update_moves_epoch AFTER UPDATE ON login_pins
BEGIN
    UPDATE access_epoch SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER login_pins_delete_moves_epoch AFTER DELETE ON login_pins
BEGIN
    UPDATE access_epoch SET value = value + 1 WHERE id = 1;
END;

-- An app renamed or removed, or its rules changed: forward auth's remembered verdicts for it.
CREATE TRIGGER apps_change_moves_epoch AFTER UPDATE ON apps
BEGIN
    UPDATE access_epoch SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER apps_delete_moves_epoch AFTER DELETE ON apps
BEGIN
    UPDATE access_epoch SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER app_rules_insert_moves_epoch AFTER INSERT ON app_rules
BEGIN
    UPDATE access_epoch SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER app_rules_update_moves_epoch AFTER UPDATE ON app_rules
BEGIN
    UPDATE access_epoch SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER app_rules_delete_moves_epoch AFTER DELETE ON app_rules
BEGIN
    UPDATE access_epoch SET value = value + 1 WHERE id = 1;
END;
