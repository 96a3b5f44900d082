package mysql

import (
	"bytes"
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/admithq/admit/internal/admit"
)

// abandonedAfter is how long a claimed key may stay without a response
// before a repeat may take it over (its first request died mid-way), when
// nothing says sooner that its server is gone. Past the server's 30 s write
// timeout no answer can reach the client; a first request still running
// then (it cannot be, but if) is harmless: the changes behind keys are
// guarded on their own (one order per hold, a paid order is paid once, a
// voided ticket is void).
const abandonedAfterSeconds = 30

// lapsedKey is true of a claimed key whose first request can no longer
// answer: older than abandonedAfterSeconds, or held by an app server whose
// row in app_instances has lapsed (instance.go), which a repeat learns
// within aliveFor of the server's death.
const lapsedKey = `response_status IS NULL AND (created_at < NOW(6) - INTERVAL 30 SECOND
	OR holder IS NOT NULL AND NOT EXISTS (SELECT 1 FROM app_instances i WHERE i.id = idempotency_keys.holder AND i.alive_until >= NOW(6)))`

// BeginIdempotent claims k for a request whose body hashes to hash. It
// returns the stored response if the request already completed; EKEYREUSED
// if k was used with a different request; ECONFLICT if the first request is
// still running. With (nil, nil) the caller owns k and must Finish or Abandon
// it. While MySQL does not answer (a writer failing over) the claim waits,
// as a batch does, rather than failing the request.
func (d *DB) BeginIdempotent(ctx context.Context, k admit.IdempotencyKey, hash []byte) (stored *admit.StoredResponse, err error) {
	defer wrap(&err, "DB.BeginIdempotent")
	holder := d.holder()
	unsure, err := d.claimKey(ctx, k, hash, holder)
	if err == nil {
		return nil, nil
	} else if !isDuplicate(err) {
		return nil, err
	}
	var storedHash []byte
	var status sql.NullInt64
	var body []byte
	var lapsed, mine bool
	err = d.db.QueryRowContext(ctx, `SELECT request_hash, response_status, response_body, `+lapsedKey+`, holder <=> ?
		FROM idempotency_keys WHERE organization_id = ? AND scope = ? AND idempotency_key = ?`,
		holder, k.OrganizationID, k.Scope, k.Key).Scan(&storedHash, &status, &body, &lapsed, &mine)
	if err == sql.ErrNoRows {
		// Abandoned and deleted between our INSERT and SELECT: ask the
		// client to retry rather than guess.
		return nil, admit.Errorf(admit.ECONFLICT, "A request with this Idempotency-Key is in progress; retry shortly.")
	} else if err != nil {
		return nil, err
	}
	if !bytes.Equal(storedHash, hash) {
		return nil, &admit.Error{Code: admit.EKEYREUSED, Field: "Idempotency-Key",
			Message: "This Idempotency-Key was already used with a different request."}
	}
	if status.Valid {
		return &admit.StoredResponse{Status: int(status.Int64), Body: body}, nil
	}
	if unsure && mine && holder != nil {
		// An attempt whose answer was lost claimed it: the claim is this
		// request's (or, as with AbandonIdempotent's release, one sent
		// twice at once to this server, whose effects are guarded).
		return nil, nil
	}
	if lapsed {
		// Of several repeats at once, the one whose UPDATE matches takes
		// the key; the others see it held by a live server again.
		res, err := d.db.ExecContext(ctx, `UPDATE idempotency_keys SET created_at = NOW(6), holder = ?
			WHERE organization_id = ? AND scope = ? AND idempotency_key = ? AND `+lapsedKey, holder, k.OrganizationID, k.Scope, k.Key)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil, nil
		}
	}
	return nil, admit.Errorf(admit.ECONFLICT, "A request with this Idempotency-Key is in progress; retry shortly.")
}

// claimKey inserts k's claim. While MySQL does not answer it tries again
// every failoverPoll for up to batchFailoverWait; unsure then says an
// attempt may have reached the server before its connection was lost, so
// a claim by this server found afterwards may be the request's own.
func (d *DB) claimKey(ctx context.Context, k admit.IdempotencyKey, hash []byte, holder any) (unsure bool, err error) {
	began := time.Now()
	for {
		_, err = d.db.ExecContext(ctx, `INSERT INTO idempotency_keys (organization_id, scope, idempotency_key, request_hash, holder) VALUES (?, ?, ?, ?, ?)`,
			k.OrganizationID, k.Scope, k.Key, hash, holder)
		if err == nil || !unreachable(err) || time.Since(began) >= batchFailoverWait {
			return unsure, err
		}
		unsure = true
		select {
		case <-ctx.Done():
			return unsure, err
		case <-time.After(failoverPoll):
		}
	}
}

// FinishIdempotent stores the response for k's repeats.
func (d *DB) FinishIdempotent(ctx context.Context, k admit.IdempotencyKey, status int, body []byte) (err error) {
	defer wrap(&err, "DB.FinishIdempotent")
	// The request's change is made: storing its answer rides out a
	// failover, so the client gets that answer and its retries replay it.
	return settle(ctx, func(ctx context.Context) error {
		_, err := d.db.ExecContext(ctx, `UPDATE idempotency_keys SET response_status = ?, response_body = ?
			WHERE organization_id = ? AND scope = ? AND idempotency_key = ?`, status, body, k.OrganizationID, k.Scope, k.Key)
		return err
	})
}

// AbandonIdempotent releases k after a failure the client may retry (a 5xx):
// nothing is stored, so a repeat runs again.
func (d *DB) AbandonIdempotent(ctx context.Context, k admit.IdempotencyKey) (err error) {
	defer wrap(&err, "DB.AbandonIdempotent")
	// The failure was often MySQL failing over: releasing the key waits it
	// out, so the client's retry is not refused as "in progress".
	return settle(ctx, func(ctx context.Context) error {
		_, err := d.db.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE organization_id = ? AND scope = ? AND idempotency_key = ?
			AND response_status IS NULL`, k.OrganizationID, k.Scope, k.Key)
		return err
	})
}

// DeleteOldIdempotencyKeys removes keys older than two days (they are kept
// at least 24 hours, as promised to clients), and the rows of app servers
// gone for an hour, which only unfinished keys look up.
func (d *DB) DeleteOldIdempotencyKeys(ctx context.Context) (n int64, err error) {
	defer wrap(&err, "DB.DeleteOldIdempotencyKeys")
	if _, err := d.db.ExecContext(ctx, `DELETE FROM app_instances WHERE alive_until < NOW(6) - INTERVAL 1 HOUR`); err != nil {
		return 0, err
	}
	res, err := d.db.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE created_at < NOW(6) - INTERVAL 48 HOUR LIMIT 5000`)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// keyOf names a member's key: unique per organization, scope and key.
type keyOf struct {
	orgID      int64
	scope, key string
}

// storedKey is a key as readKeys found it.
type storedKey struct {
	hash     []byte
	response *admit.StoredResponse
}

// readKeys adds to s the lookup of the keys the batch's orders carry, in
// their holds' organizations, one statement for all of them; the map is
// filled when s runs.
func readKeys(s *script, batch []*batchMember[*orderRequest]) map[keyOf]storedKey {
	found := map[keyOf]storedKey{}
	var args []any
	n := 0
	for _, m := range batch {
		if k := m.req.p.Key; k != nil {
			args = append(args, m.req.p.HoldID, k.Scope, k.Key)
			n++
		}
	}
	if n == 0 {
		return found
	}
	// The holds' organizations are read in the same statement, so the keys
	// are found by their primary key with the holds in one round trip.
	s.query(func(rows *sql.Rows) error {
		for rows.Next() {
			var k keyOf
			var sk storedKey
			var status sql.NullInt64
			var body []byte
			if err := rows.Scan(&k.orgID, &k.scope, &k.key, &sk.hash, &status, &body); err != nil {
				return err
			}
			if status.Valid {
				sk.response = &admit.StoredResponse{Status: int(status.Int64), Body: body}
			}
			found[k] = sk
		}
		return rows.Err()
	}, `SELECT k.organization_id, k.scope, k.idempotency_key, k.request_hash, k.response_status, k.response_body
		FROM (SELECT ? AS h, ? AS s, ? AS k`+strings.Repeat(" UNION ALL SELECT ?, ?, ?", n-1)+`) v
		JOIN holds h ON h.id = v.h
		JOIN idempotency_keys k ON k.organization_id = h.organization_id AND k.scope = v.s AND k.idempotency_key = v.k`, args...)
	return found
}

// resolveKeys settles the keys of the batch's orders from what readKeys
// found: a key whose first request completed replays its response; one
// used with another request is EKEYREUSED; one whose first request is
// still running (outside a batch) is ECONFLICT. Two members of the batch
// with one key are one request: the second replays the first's response.
func resolveKeys(batch []*batchMember[*orderRequest], found map[keyOf]storedKey) {
	owners := map[keyOf]*orderRequest{}
	for _, m := range batch {
		r := m.req
		if r.p.Key == nil || r.err != nil {
			continue
		}
		k := keyOf{r.orgID, r.p.Key.Scope, r.p.Key.Key}
		s, ok := found[k]
		owner := owners[k]
		switch {
		case ok && !bytes.Equal(s.hash, r.p.Key.Hash), !ok && owner != nil && !bytes.Equal(owner.p.Key.Hash, r.p.Key.Hash):
			r.err, r.keyErr = &admit.Error{Code: admit.EKEYREUSED, Field: "Idempotency-Key",
				Message: "This Idempotency-Key was already used with a different request."}, true
		case ok && s.response != nil:
			r.response, r.replayed = s.response, true
		case ok:
			r.err, r.keyErr = admit.Errorf(admit.ECONFLICT, "A request with this Idempotency-Key is in progress; retry shortly."), true
		case owner != nil:
			r.sameKey = owner
		default:
			owners[k] = r
		}
	}
}

// storeResponses adds to s the storing, with the orders, of the response of
// each member that owns its key, rendered from its outcome; one statement
// for the batch.
func storeResponses(s *script, batch []*batchMember[*orderRequest]) {
	var args []any
	n := 0
	for _, m := range batch {
		r := m.req
		if r.p.Key == nil || r.orgID == 0 || r.keyErr || r.replayed || r.sameKey != nil {
			continue
		}
		o, existing, err := r.order, r.existing, r.err
		if r.sameHold != nil {
			o, existing, err = r.sameHold.order, true, r.sameHold.err
		}
		status, body := r.p.Key.Render(o, existing, err)
		if status >= 500 {
			continue
		}
		r.response = &admit.StoredResponse{Status: status, Body: body}
		args = append(args, r.orgID, r.p.Key.Scope, r.p.Key.Key, r.p.Key.Hash, status, body)
		n++
	}
	if n == 0 {
		return
	}
	// A key that another server stored meanwhile is a duplicate: the
	// attempt fails, and the next one replays what that server stored.
	s.exec(`INSERT INTO idempotency_keys (organization_id, scope, idempotency_key, request_hash, response_status, response_body) VALUES `+
		strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?),", n), ","), args...)
}
