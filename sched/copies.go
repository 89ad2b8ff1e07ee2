package sched

import (
	"context"
	"encoding/json"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
)

// CopyExpiry deletes the delivered copies whose download period ended
// (docs/delivery.md): each file is removed from the store, then, in one
// transaction, marked deleted, noted on the request's timeline ("文件已删除
// / file deleted") and, while the request is still DELIVERED, its
// close_delivery (expired) is queued through the outbox like any system
// action. A crash between the two leaves the record for the next run
// (deleting a missing file is no error); two schedulers racing mark each
// file once. It returns how many files were deleted.
func (j *Jobs) CopyExpiry(ctx context.Context, now time.Time) (int, error) {
	if j.Files == nil {
		return 0, nil
	}
	n := 0
	for {
		files, err := j.Store.ExpiredCopyFiles(ctx, now, j.batch())
		if err != nil || len(files) == 0 {
			return n, err
		}
		for _, f := range files {
			if err := j.Files.Delete(ctx, f.Key); err != nil {
				return n, err
			}
			won := false
			err := j.Store.InTx(ctx, func(tx *mysql.Tx) error {
				var err error
				if won, err = tx.MarkCopyFileDeleted(ctx, f.ID, now); err != nil || !won {
					return err
				}
				if err := tx.AddEvent(ctx, f.RequestID, "copy-expiry:"+f.ID, ill.Event{At: now, Actor: ill.SystemActor,
					Action: ill.ActFileDeleted, Note: ill.FileDeletedNote(f)}); err != nil {
					return err
				}
				st, err := tx.RequestState(ctx, f.RequestID)
				if err != nil || st != ill.Delivered {
					return err
				}
				body, _ := json.Marshal(ill.ActionBody{Reason: ill.Reason(ill.CloseExpired)})
				// an id of its own: the timeline line above carries
				// "copy-expiry:<file>", and a line with an action message's
				// id marks that action applied (mysql.Tx.ClaimRequest)
				return tx.Enqueue(ctx, ill.Message{ID: "copy-expiry-close:" + f.ID, Type: ill.MsgAction, Actor: ill.SystemActor,
					RequestID: f.RequestID, Action: ill.ActCloseDelivery, At: now.UTC(), Body: body})
			})
			if err != nil {
				return n, err
			}
			if won {
				n++
			}
		}
		if len(files) < j.batch() {
			return n, nil
		}
	}
}
