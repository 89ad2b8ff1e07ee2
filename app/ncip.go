package app

import (
	"context"
	"net/url"
	"strings"

	"github.com/balis/illhub/ill"
)

// RegisterNCIP sets member reg.Code's NCIP registration (docs/ncip.md):
// the endpoint of its ILS's NCIP responder ("" switches NCIP off) and,
// when given, the agency ids. Centre only; audited.
func (s *Service) RegisterNCIP(ctx context.Context, p ill.Principal, by string, reg ill.NCIPRegistration) error {
	if err := s.mustBeMember(ctx, p, reg.Code); err != nil {
		return err
	}
	reg.Code = strings.ToUpper(reg.Code)
	reg.Endpoint = strings.TrimSpace(reg.Endpoint)
	if reg.Endpoint != "" {
		if u, err := url.Parse(reg.Endpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return ill.FieldError("ncip_url", "%q is not an http(s) URL", reg.Endpoint)
		}
	}
	for field, v := range map[string]string{"from_agency": reg.FromAgency, "to_agency": reg.ToAgency} {
		if len(v) > 64 {
			return ill.FieldError(field, "%s is longer than 64 characters", field)
		}
	}
	if err := s.store.SetNCIP(ctx, reg); err != nil {
		return err
	}
	detail := "NCIP switched off"
	if reg.Endpoint != "" {
		detail = "NCIP registration changed"
	}
	return s.store.Audit(ctx, s.actor(by), ill.AuditNCIPRegistration, reg.Code, detail)
}

// NCIPMember is member code's NCIP registration (nil: none). Centre only.
func (s *Service) NCIPMember(ctx context.Context, p ill.Principal, code string) (*ill.NCIPMember, error) {
	if err := s.mustBeMember(ctx, p, code); err != nil {
		return nil, err
	}
	return s.store.NCIPMember(ctx, code)
}
