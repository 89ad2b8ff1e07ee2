package demo

import "github.com/balis/illhub/ill"

// CourierKey is the demo courier credential (POST /v1/courier/scans), like
// the libraries' demo keys a development key only the demo loader creates.
var CourierKey = ill.DemoKey(ill.CourierOwner)
