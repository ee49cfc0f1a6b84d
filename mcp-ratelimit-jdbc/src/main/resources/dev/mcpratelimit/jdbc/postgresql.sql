-- mcp-ratelimit: limiter state in PostgreSQL (mcp-ratelimit-jdbc, schema version 1).
-- JdbcLimiterStore runs this file when it starts (createSchema, the default); with createSchema(false)
-- apply it yourself, e.g. as a migration. Every statement is idempotent. Statements are separated
-- by lines reading "-- statement".
--
-- One row per limiter key. k = SHA-256 of LimitKey.encoded(); space = first 8 bytes of SHA-256 of
-- the rule's state identity (for discarding a removed rule's rows). a, b, c, log: the state (see
-- RowState.java, which this file mirrors step for step); expires_at: epoch nanoseconds on the
-- engines' clock after which the row equals a fresh one and may be deleted.
-- Times are the engine's clock readings in nanoseconds, passed in by each call.

CREATE TABLE IF NOT EXISTS mcp_ratelimit_state (
  k bytea PRIMARY KEY,
  space bigint NOT NULL,
  a bigint NOT NULL,
  b bigint NOT NULL,
  c bigint NOT NULL,
  log bigint[],
  expires_at bigint NOT NULL
) WITH (fillfactor = 70)
-- statement
CREATE OR REPLACE FUNCTION mcp_ratelimit_sat(x numeric) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
  SELECT LEAST(GREATEST(x, -9223372036854775808), 9223372036854775807)::bigint
$$
-- statement
CREATE OR REPLACE FUNCTION mcp_ratelimit_floordiv(x bigint, y bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN x >= 0 THEN x / y ELSE -((y - 1 - x) / y) END
$$
-- statement
-- One step of one entry on one row: the arithmetic of RowState.acquire. Returns the row's new
-- columns and the entry's outcome; changes nothing by itself.
CREATE OR REPLACE FUNCTION mcp_ratelimit_step(
  kind int, cost bigint, p1 bigint, p2 bigint, p3 bigint, max_wait bigint, now_in bigint,
  INOUT a bigint, INOUT b bigint, INOUT c bigint, INOUT log bigint[], INOUT expires_at bigint,
  OUT granted boolean, OUT remaining bigint, OUT retry bigint, OUT reset bigint, OUT wait bigint,
  OUT dirty boolean)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  now bigint := LEAST(GREATEST(now_in, -4611686018427387904), 4611686018427387904);
  base bigint; new_tat bigint; w bigint;
  idx bigint; prev bigint; cur bigint; lft bigint; k bigint; room bigint;
  st bigint; weighted bigint; curr bigint; e bigint;
  first int; used bigint; newest bigint; stamp bigint; drop_ bigint; i int; n int;
  held bigint; last bigint; nlog bigint[];
BEGIN
  dirty := false; wait := 0; retry := 0;
  IF kind = 1 THEN -- token bucket (GCRA): p1 interval, p2 burst, p3 capacity
    base := GREATEST(a, now);
    IF cost > p3 THEN
      granted := false; remaining := GREATEST(0, (now + p2 - base) / p1); retry := -1; reset := base;
      RETURN;
    END IF;
    new_tat := base + cost * p1;
    w := new_tat - p2 - now;
    IF w > max_wait THEN
      granted := false; remaining := GREATEST(0, (now + p2 - base) / p1); retry := w; reset := base;
      RETURN;
    END IF;
    granted := true;
    IF cost = 0 THEN
      remaining := GREATEST(0, (now + p2 - base) / p1); reset := base;
      RETURN;
    END IF;
    a := new_tat; expires_at := new_tat; dirty := true;
    remaining := GREATEST(0, (now + p2 - new_tat) / p1); reset := new_tat; wait := GREATEST(0, w);
    RETURN;
  ELSIF kind = 2 THEN -- sliding window estimate: p1 window, p2 limit
    idx := mcp_ratelimit_floordiv(now, p1);
    prev := CASE WHEN a = idx THEN b WHEN a = idx - 1 THEN c WHEN a > idx THEN b ELSE 0 END;
    cur := CASE WHEN a >= idx THEN c ELSE 0 END;
    lft := CASE WHEN a > idx THEN p1 ELSE p1 - (now - idx * p1) END;
    room := p2 - cur - cost;
    IF room >= 0 AND prev::numeric * lft <= room::numeric * p1 THEN
      granted := true;
      IF cost = 0 THEN
        remaining := CASE WHEN prev = 0 OR p2 - cur <= 0 THEN GREATEST(0, p2 - cur)
          ELSE GREATEST(0, p2 - cur - div(prev::numeric * lft + p1 - 1, p1)) END;
        reset := CASE WHEN cur > 0 THEN (GREATEST(idx, a) + 2) * p1 WHEN prev > 0 THEN (idx + 1) * p1 ELSE now END;
        RETURN;
      END IF;
      k := GREATEST(idx, a);
      cur := mcp_ratelimit_sat(cur::numeric + cost);
      a := k; b := prev; c := cur; expires_at := (k + 2) * p1; dirty := true;
      remaining := CASE WHEN prev = 0 OR p2 - cur <= 0 THEN GREATEST(0, p2 - cur)
        ELSE GREATEST(0, p2 - cur - div(prev::numeric * lft + p1 - 1, p1)) END;
      reset := (k + 2) * p1;
      RETURN;
    END IF;
    granted := false;
    remaining := CASE WHEN prev = 0 OR p2 - cur <= 0 THEN GREATEST(0, p2 - cur)
      ELSE GREATEST(0, p2 - cur - div(prev::numeric * lft + p1 - 1, p1)) END;
    reset := CASE WHEN cur > 0 THEN (GREATEST(idx, a) + 2) * p1 WHEN prev > 0 THEN (idx + 1) * p1 ELSE now END;
    IF cost > p2 THEN
      retry := -1;
    ELSE
      k := GREATEST(idx, a);
      IF cur <= p2 - cost THEN st := k * p1; weighted := prev; curr := cur;
      ELSE st := (k + 1) * p1; weighted := cur; curr := 0; END IF;
      e := 0;
      IF weighted > 0 THEN
        e := GREATEST(0, p1 - LEAST(p1::numeric, div((p2 - cost - curr)::numeric * p1, weighted))::bigint);
      END IF;
      retry := mcp_ratelimit_sat(st::numeric - now + e);
    END IF;
    RETURN;
  ELSIF kind = 3 THEN -- exact sliding window: p1 window, p2 limit; log = (time, cost) pairs
    n := coalesce(array_length(log, 1), 0);
    first := 1;
    WHILE first <= n AND now::numeric - log[first] >= p1 LOOP first := first + 2; END LOOP;
    used := 0;
    i := first;
    WHILE i <= n LOOP used := used + log[i + 1]; i := i + 2; END LOOP;
    newest := CASE WHEN n = 0 THEN NULL ELSE log[n - 1] END;
    IF cost <= p2 - used THEN
      granted := true;
      IF cost = 0 THEN
        remaining := p2 - used; reset := CASE WHEN used = 0 THEN now ELSE newest + p1 END;
        RETURN;
      END IF;
      stamp := GREATEST(now, coalesce(newest, now));
      nlog := coalesce(log[first:n], '{}');
      IF n >= first AND log[n - 1] = stamp THEN
        nlog[array_length(nlog, 1)] := nlog[array_length(nlog, 1)] + cost;
      ELSE
        nlog := nlog || ARRAY[stamp, cost];
      END IF;
      log := nlog; expires_at := stamp + p1; dirty := true;
      remaining := p2 - used - cost; reset := stamp + p1;
      RETURN;
    END IF;
    granted := false; retry := -1;
    IF cost <= p2 THEN
      drop_ := used + cost - p2;
      i := first;
      WHILE i <= n LOOP
        drop_ := drop_ - log[i + 1];
        IF drop_ <= 0 THEN retry := log[i] + p1 - now; EXIT; END IF;
        i := i + 2;
      END LOOP;
    END IF;
    remaining := p2 - used; reset := CASE WHEN used = 0 THEN now ELSE newest + p1 END;
    RETURN;
  ELSIF kind = 4 THEN -- calendar window: p1 limit, p2 window start, p3 window end
    st := p2; used := 0;
    IF a <> -9223372036854775808 AND a >= p2 THEN st := a; used := b; END IF;
    room := p1 - used;
    reset := p3;
    IF cost <= room THEN
      granted := true; remaining := room - cost;
      IF cost > 0 THEN
        a := st; b := used + cost; expires_at := GREATEST(p3, expires_at); dirty := true;
      END IF;
      RETURN;
    END IF;
    granted := false; remaining := room; retry := CASE WHEN cost > p1 THEN -1 ELSE p3 - now END;
    RETURN;
  ELSE -- concurrency: p1 max in flight, p2 lease, p3 permit id; log = (id, lease end, cost)
    n := coalesce(array_length(log, 1), 0);
    held := 0; nlog := '{}'; last := mcp_ratelimit_sat(now::numeric + p2);
    i := 1;
    WHILE i <= n LOOP
      IF log[i + 1] > now THEN
        held := held + log[i + 2];
        nlog := nlog || log[i:i + 2];
        last := GREATEST(last, log[i + 1]);
      END IF;
      i := i + 3;
    END LOOP;
    reset := -1;
    IF cost > p1 - held THEN
      granted := false; remaining := p1 - held; retry := -1;
      RETURN;
    END IF;
    granted := true; remaining := p1 - held - cost;
    IF cost > 0 THEN
      log := nlog || ARRAY[p3, mcp_ratelimit_sat(now::numeric + p2), cost]; expires_at := last; dirty := true;
    END IF;
    RETURN;
  END IF;
END
$$
-- statement
-- A whole decision: locks the entries' rows in the order given (the store sorts them by key, so
-- concurrent decisions never deadlock), applies every entry only if every entry fits, and returns
-- the time decided at, then 5 numbers per entry: granted (1/0), remaining, retry-after (-1 never),
-- reset (-1 none), wait. The time is p_now, the engine's clock reading; given p_offset (the
-- server's clock minus the engine's, measured by the caller), it is the engine's time at the
-- moment this call holds its locks, never earlier than p_now: a caller queued behind a hot row,
-- or descheduled after reading its clock, is judged when it gets the row.
-- Then deletes at most p_reap expired rows among those following p_reap_from (a random key),
-- skipping rows other calls hold: bounded work, and no waiting after this call took its locks.
CREATE OR REPLACE FUNCTION mcp_ratelimit_acquire(
  p_now bigint, p_offset bigint, p_keys bytea[], p_spaces bigint[], p_kinds int[], p_costs bigint[],
  p_p1 bigint[], p_p2 bigint[], p_p3 bigint[], p_waits bigint[], p_reap int, p_reap_from bytea)
RETURNS bigint[]
LANGUAGE plpgsql AS $$
DECLARE
  n int := coalesce(array_length(p_keys, 1), 0);
  res bigint[];
  r record;
  s record;
  all_ok boolean := true;
  i int;
  v_now bigint := p_now;
  na bigint[]; nb bigint[]; nc bigint[]; ne bigint[]; nd boolean[];
BEGIN
  FOR i IN 1 .. n LOOP
    LOOP -- lock the row, creating it first if absent (and again if a reaper deleted it meanwhile)
      PERFORM 1 FROM mcp_ratelimit_state t WHERE t.k = p_keys[i] FOR UPDATE;
      EXIT WHEN FOUND;
      INSERT INTO mcp_ratelimit_state (k, space, a, b, c, log, expires_at)
        VALUES (p_keys[i], p_spaces[i], -9223372036854775808, 0, 0, NULL, p_now) ON CONFLICT (k) DO NOTHING;
    END LOOP;
  END LOOP;
  IF p_offset IS NOT NULL THEN
    v_now := GREATEST(p_now, mcp_ratelimit_sat(floor(extract(epoch FROM clock_timestamp()) * 1000000000) - p_offset));
  END IF;
  res := ARRAY[v_now];
  FOR i IN 1 .. n LOOP
    SELECT t.a, t.b, t.c, t.log, t.expires_at INTO r FROM mcp_ratelimit_state t WHERE t.k = p_keys[i];
    s := mcp_ratelimit_step(p_kinds[i], p_costs[i], p_p1[i], p_p2[i], p_p3[i], p_waits[i], v_now,
      r.a, r.b, r.c, r.log, r.expires_at);
    res := res || ARRAY[CASE WHEN s.granted THEN 1 ELSE 0 END, s.remaining, s.retry, s.reset, s.wait]::bigint[];
    na[i] := s.a; nb[i] := s.b; nc[i] := s.c; ne[i] := s.expires_at; nd[i] := s.dirty;
    all_ok := all_ok AND s.granted;
  END LOOP;
  IF all_ok THEN
    FOR i IN 1 .. n LOOP
      CONTINUE WHEN NOT nd[i];
      IF p_kinds[i] = 3 OR p_kinds[i] = 5 THEN -- a log: computed again (the row is locked, unchanged)
        SELECT t.a, t.b, t.c, t.log, t.expires_at INTO r FROM mcp_ratelimit_state t WHERE t.k = p_keys[i];
        s := mcp_ratelimit_step(p_kinds[i], p_costs[i], p_p1[i], p_p2[i], p_p3[i], p_waits[i], v_now,
          r.a, r.b, r.c, r.log, r.expires_at);
        UPDATE mcp_ratelimit_state SET log = s.log, expires_at = s.expires_at WHERE k = p_keys[i];
      ELSE
        UPDATE mcp_ratelimit_state SET a = na[i], b = nb[i], c = nc[i], expires_at = ne[i] WHERE k = p_keys[i];
      END IF;
    END LOOP;
  END IF;
  IF p_reap > 0 THEN
    DELETE FROM mcp_ratelimit_state d WHERE d.k IN (
      SELECT y.k FROM mcp_ratelimit_state y
      WHERE y.k = ANY (ARRAY(
          SELECT x.k FROM (SELECT t.k, t.expires_at FROM mcp_ratelimit_state t WHERE t.k >= p_reap_from
            ORDER BY t.k LIMIT p_reap) x
          WHERE x.expires_at < v_now))
        AND y.expires_at < v_now
      FOR UPDATE SKIP LOCKED);
  END IF;
  RETURN res;
END
$$
-- statement
-- Gives back what one granted decision took (p_permits_only: only its concurrency permits), rows
-- locked in the order given. p_at: where each grant sits (RowState.grantedAt): a token bucket's,
-- its place in the bucket's timeline (the reset mcp_ratelimit_step returned, its new TAT, less
-- cost * p1, never before the time decided at), so a refund gives back exactly the part of it not
-- yet refilled however grants and refunds interleave; the others', when it took effect (that time
-- plus the wait of a booked slot). p_p2 of a calendar window: the start of the window it counted in.
CREATE OR REPLACE FUNCTION mcp_ratelimit_settle(
  p_now bigint, p_permits_only boolean, p_keys bytea[], p_kinds int[], p_costs bigint[],
  p_p1 bigint[], p_p2 bigint[], p_p3 bigint[], p_at bigint[])
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  n int := coalesce(array_length(p_keys, 1), 0);
  r record;
  i int;
  j int;
  now bigint := LEAST(GREATEST(p_now, -4611686018427387904), 4611686018427387904);
  at_ bigint;
  taken bigint;
  elapsed bigint;
  nlog bigint[];
  lft bigint;
  take_ bigint;
  m int;
  last bigint;
BEGIN
  FOR i IN 1 .. n LOOP
    CONTINUE WHEN p_kinds[i] <> 5 AND (p_permits_only OR p_costs[i] = 0);
    SELECT t.a, t.b, t.c, t.log, t.expires_at INTO r FROM mcp_ratelimit_state t WHERE t.k = p_keys[i] FOR UPDATE;
    CONTINUE WHEN NOT FOUND; -- reaped: its state had expired, nothing to give back
    at_ := LEAST(GREATEST(p_at[i], -4611686018427387904), 4611686018427387904);
    IF p_kinds[i] = 1 THEN
      taken := LEAST(p_costs[i], p_p3[i]) * p_p1[i];
      elapsed := GREATEST(0, mcp_ratelimit_sat(p_now::numeric - p_at[i]));
      IF elapsed < taken AND r.a > now THEN
        UPDATE mcp_ratelimit_state SET a = GREATEST(r.a - (taken - elapsed), now), expires_at = GREATEST(r.a - (taken - elapsed), now)
          WHERE k = p_keys[i];
      END IF;
    ELSIF p_kinds[i] = 2 THEN
      taken := mcp_ratelimit_floordiv(at_, p_p1[i]);
      IF r.a = taken THEN
        UPDATE mcp_ratelimit_state SET c = GREATEST(0, r.c - p_costs[i]) WHERE k = p_keys[i];
      ELSIF r.a = taken + 1 THEN
        UPDATE mcp_ratelimit_state SET b = GREATEST(0, r.b - p_costs[i]) WHERE k = p_keys[i];
      END IF;
    ELSIF p_kinds[i] = 3 THEN
      IF p_now::numeric - p_at[i] < p_p1[i] THEN
        m := coalesce(array_length(r.log, 1), 0);
        nlog := '{}'; lft := p_costs[i]; j := 1;
        WHILE j <= m LOOP
          take_ := r.log[j + 1];
          IF lft > 0 AND r.log[j] >= at_ THEN
            take_ := take_ - LEAST(lft, r.log[j + 1]);
            lft := lft - LEAST(lft, r.log[j + 1]);
          END IF;
          IF take_ > 0 THEN nlog := nlog || ARRAY[r.log[j], take_]; END IF;
          j := j + 2;
        END LOOP;
        IF lft < p_costs[i] THEN
          UPDATE mcp_ratelimit_state SET log = nlog WHERE k = p_keys[i];
        END IF;
      END IF;
    ELSIF p_kinds[i] = 4 THEN
      IF r.a = p_p2[i] THEN
        UPDATE mcp_ratelimit_state SET b = GREATEST(0, r.b - p_costs[i]) WHERE k = p_keys[i];
      END IF;
    ELSE
      m := coalesce(array_length(r.log, 1), 0);
      nlog := '{}'; last := p_now; j := 1;
      WHILE j <= m LOOP
        IF r.log[j] <> p_p3[i] THEN
          nlog := nlog || r.log[j:j + 2];
          last := GREATEST(last, r.log[j + 1]);
        END IF;
        j := j + 3;
      END LOOP;
      IF array_length(nlog, 1) IS DISTINCT FROM m THEN
        UPDATE mcp_ratelimit_state SET log = nlog, expires_at = last WHERE k = p_keys[i];
      END IF;
    END IF;
  END LOOP;
END
$$
