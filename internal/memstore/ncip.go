package memstore

import (
	"context"
	"strings"

	"github.com/balis/illhub/ill"
)

// NCIPMember implements ill.NCIPDirectory: nil when code has no
// registration.
func (s *Store) NCIPMember(_ context.Context, code string) (*ill.NCIPMember, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	m, ok := s.ncip[strings.ToUpper(code)]
	if !ok {
		return nil, nil
	}
	return &m, nil
}

// SetNCIP implements ill.NCIPDirectory (empty agencies keep the stored
// ones).
func (s *Store) SetNCIP(_ context.Context, reg ill.NCIPRegistration) error {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return err
	}
	k := strings.ToUpper(reg.Code)
	if _, ok := s.libraries[k]; !ok {
		return notFound("library", reg.Code)
	}
	if s.ncip == nil {
		s.ncip = map[string]ill.NCIPMember{}
	}
	m := s.ncip[k]
	m.Code, m.Endpoint = k, reg.Endpoint
	if reg.FromAgency != "" {
		m.FromAgency = reg.FromAgency
	}
	if reg.ToAgency != "" {
		m.ToAgency = reg.ToAgency
	}
	s.ncip[k] = m
	return nil
}
