package app

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/balis/illhub/ill"
)

// Search runs a catalogue search (every member may search the whole union
// catalogue). The work is bounded by ill.SearchTerms: at most
// ill.MaxSearchWords distinct words of q are used (QueryTruncated tells
// when more were given).
func (s *Service) Search(ctx context.Context, q ill.SearchQuery) (ill.SearchResults, error) {
	return s.store.SearchFull(ctx, q)
}

// Record reads catalogue record id with every member's holdings of it;
// not_found when there is none.
func (s *Service) Record(ctx context.Context, id int64) (*ill.Record, []ill.HoldingView, error) {
	return s.store.RecordWithHoldings(ctx, id)
}

// Libraries lists every member library (public directory data: the JSON
// form of ill.Library hides contacts and secrets).
func (s *Service) Libraries(ctx context.Context) ([]ill.Library, error) {
	return s.store.Libraries(ctx)
}

// Library reads member library code; not_found when it is not a member.
func (s *Service) Library(ctx context.Context, code string) (*ill.Library, error) {
	return s.store.Library(ctx, code)
}

// Conflicts lists matching conflicts reported by holdings ingestion
// (docs/catalog.md), newest first, one page, with the total: a member sees
// its own (library is ignored), the centre every library's or, naming a
// library, that one's.
func (s *Service) Conflicts(ctx context.Context, p ill.Principal, library string, page, perPage int) ([]ill.Conflict, int, error) {
	lib := p.Library
	if p.Centre {
		lib = ""
		if library != "" {
			var err error
			if lib, err = ill.CanonicalCode("library", library); err != nil {
				return nil, 0, err
			}
		}
	}
	return s.store.Conflicts(ctx, lib, page, perPage)
}

// ImportHoldings checks member library p's holdings batch b (at most
// ill.MaxHoldingsBatch rows, each upsert with a local id of at most 64
// characters and a title) and publishes it to the holdings consumer,
// returning the batch id (the message id; a non-empty idempotencyKey
// makes retries publish the same one) after the broker's confirm.
func (s *Service) ImportHoldings(ctx context.Context, p ill.Principal, b ill.HoldingsBatch, idempotencyKey string) (string, error) {
	if err := ForHoldings.Check(p); err != nil {
		return "", err
	}
	if len(b.Upserts)+len(b.Deletes) == 0 {
		return "", ill.FieldError("upserts", "the batch is empty")
	}
	if len(b.Upserts)+len(b.Deletes) > ill.MaxHoldingsBatch {
		return "", ill.FieldError("upserts", "at most %d rows per batch", ill.MaxHoldingsBatch)
	}
	for i, h := range b.Upserts {
		field := "upserts[" + strconv.Itoa(i) + "]"
		switch {
		case h.LocalID == "":
			return "", ill.FieldError(field+".local_id", "local_id is required")
		case h.Title == "":
			return "", ill.FieldError(field+".title", "title is required")
		case len(h.LocalID) > 64:
			return "", ill.FieldError(field+".local_id", "local_id is longer than 64 characters")
		}
	}
	msgID := ill.NewMessageID()
	if idempotencyKey != "" {
		msgID = ill.DerivedMessageID(p.Library+"/holdings", idempotencyKey)
	}
	body, _ := json.Marshal(b)
	m := ill.Message{ID: msgID, Type: ill.MsgHoldings, Actor: p.Library, At: s.clock.Now().UTC(), Body: body}
	if err := s.publish(ctx, m); err != nil {
		return "", err
	}
	return msgID, nil
}
