// Package ill holds the illhub domain: request states and the declarative
// state table, the closed set of error and reason codes, the working-day
// calendar, deadline arithmetic, eligibility policy and rota ordering.
//
// The package does no I/O: no database, no broker, no network, no wall
// clock. Adapters (mysql, rabbitmq, httpapi) and the consumers (packages under consumers/) call into it, so
// the JSON API, the consumers and (later) the ISO 18626 adapter and the
// console all obey one set of rules.
package ill
