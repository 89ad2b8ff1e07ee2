package sched

// Courier jobs.

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/balis/illhub/consumers/courier"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
)

// CourierCutoff closes the courier runs whose cut-off has passed: every
// open run of an earlier day, and today's once now is past the latest
// cut-off of the libraries (ill.RunCloseTime). Closing stores the manifest
// snapshot; shipments assigned afterwards go on the next run. Runs are
// claimed FOR UPDATE SKIP LOCKED, so several scheduler instances close
// each run once. It returns the number of runs closed.
func (j *Jobs) CourierCutoff(ctx context.Context, now time.Time) (int, error) {
	today := ill.DateOf(now)
	closed := 0
	err := j.Store.InTx(ctx, func(t *mysql.Tx) error {
		closed = 0
		runs, err := t.ClaimRunsToClose(ctx, today)
		if err != nil || len(runs) == 0 {
			return err
		}
		cutoffs, err := t.AllCutoffs(ctx)
		if err != nil {
			return err
		}
		for _, r := range runs {
			if r.Date() == today && now.Before(ill.RunCloseTime(today, cutoffs)) {
				continue
			}
			items, err := t.ManifestItems(ctx, r.ID)
			if err != nil {
				return err
			}
			r.Status, r.ClosedAt = ill.RunClosed, now
			snap, err := json.Marshal(ill.BuildManifest(r, items))
			if err != nil {
				return err
			}
			if err := t.CloseRun(ctx, r.ID, now, len(items), snap); err != nil {
				return fmt.Errorf("close run %d: %w", r.ID, err)
			}
			closed++
		}
		return nil
	})
	return closed, err
}

// CourierExceptions raises an exception for every shipment picked up but
// not delivered by the end of the 3rd working day after pickup, and
// notifies both libraries (courier_exception, once per shipment and
// library). Claims batches FOR UPDATE SKIP LOCKED.
func (j *Jobs) CourierExceptions(ctx context.Context, now time.Time) (int, error) {
	total := 0
	for {
		n := 0
		err := j.Store.InTx(ctx, func(t *mysql.Tx) error {
			rows, err := t.ClaimLateShipments(ctx, now, j.batch())
			if err != nil {
				return err
			}
			for i := range rows {
				if err := courier.RaiseException(ctx, t, &rows[i], now); err != nil {
					return fmt.Errorf("shipment %d: %w", rows[i].ID, err)
				}
			}
			n = len(rows)
			return nil
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < j.batch() {
			return total, nil
		}
	}
}
