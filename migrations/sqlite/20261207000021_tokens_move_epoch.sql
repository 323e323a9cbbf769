-- Userinfo's answers are remembered like sessions (src/provider/userinfo/memory.rs), so the
-- access epoch (migration 20) also moves when an access token or its grant ends or changes:
-- a revocation, a refresh that retires the token it replaces, a person withdrawing an app's
-- access, the purge. A new token or grant moves nothing: nothing remembered rests on it.
CREATE TRIGGER tokens_end_moves_epoch AFTER DELETE ON tokens
BEGIN
    UPDATE access_epoch SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER tokens_change_moves_epoch AFTER UPDATE ON tokens
BEGIN
    UPDATE access_epoch SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER grants_end_moves_epoch AFTER DELETE ON grants
BEGIN
    UPDATE access_epoch SET value = value + 1 WHERE id = 1;
END;

-- In anything but its last redemption, which the code and refresh grants write and userinfo
-- does not read.
CREATE TRIGGER grants_change_moves_epoch AFTER UPDATE ON grants
WHEN (OLD.id, OLD.app_id, OLD.user_id, OLD.scope, OLD.nonce, OLD.auth_time, OLD.created_at,
      OLD.origin, OLD.sid)
  IS NOT (NEW.id, NEW.app_id, NEW.user_id, NEW.scope, NEW.nonce, NEW.auth_time, NEW.created_at,
          NEW.origin, NEW.sid)
BEGIN
    UPDATE access_epoch SET value = value + 1 WHERE id = 1;
END;
