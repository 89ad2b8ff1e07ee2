package service_test

import (
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
)

func rawChannel(t *testing.T, url string) (*amqp.Connection, *amqp.Channel) {
	t.Helper()
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	return conn, ch
}

func quorumArgs(limit int, prefix string) amqp.Table {
	return amqp.Table{"x-queue-type": "quorum", "x-delivery-limit": int32(limit), "x-dead-letter-exchange": prefix + "ill.dlx"}
}
