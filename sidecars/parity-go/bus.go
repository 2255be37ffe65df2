package main

import (
	"context"
	"time"

	microcore "microcore.dev/sdk/go"
	"microcore.dev/sdk/go/gen/microcorev1"
)

// broadcastTopic reaches every twin's subscription: each one records the event.
const broadcastTopic = "parity.broadcast"

// requestTimeout bounds POST /parity/<hosting>/request/:to.
const requestTimeout = 2 * time.Second

// addBus subscribes after the endpoints are added, so the endpoints keep the
// handler ids they had before the bus existed.
func (p *parity) addBus(ctx context.Context, k *microcore.Kernel) error {
	subscriptions := []struct {
		sub     microcore.Subscription
		handler microcore.EventHandler
	}{
		{microcore.Subscription{Topic: "parity." + p.hosting + ".echo"}, p.echo},
		{microcore.Subscription{Topic: broadcastTopic, Broadcast: true}, p.recordBroadcast},
	}
	for _, s := range subscriptions {
		if _, err := k.Bus.Subscribe(ctx, s.sub, s.handler); err != nil {
			return err
		}
	}
	base := "/parity/" + p.hosting
	endpoints := []struct {
		method, path, summary string
		handler               microcore.HttpHandler
	}{
		{"POST", base + "/publish", "Publishes one event on parity.broadcast and answers its id.", p.publish},
		{"POST", base + "/request/:to", "Asks parity.<to>.echo to echo the edge-case values; answers the reply.", p.request},
	}
	for _, e := range endpoints {
		err := k.Http.AddEndpoint(ctx, microcore.Endpoint{Method: e.method, Path: e.path, Summary: e.summary}, e.handler)
		if err != nil {
			return err
		}
	}
	return nil
}

// echo answers a request with its payload unchanged, so the requester sees what
// two hostings' conversions did to the values.
func (p *parity) echo(_ context.Context, event *microcorev1.Envelope) (any, error) {
	return event.GetPayload(), nil
}

// recordBroadcast writes one row per event under this twin's hosting, naming
// the publisher the kernel stamped on the envelope.
func (p *parity) recordBroadcast(ctx context.Context, event *microcorev1.Envelope) (any, error) {
	_, err := p.k.Db.Execute(ctx, "INSERT INTO parity_items (hosting, text) VALUES (?, ?)", p.hosting, "event:"+event.GetSource())
	return nil, err
}

func (p *parity) publish(ctx context.Context, _ *microcorev1.HttpRequest) (*microcorev1.HttpResponse, error) {
	id, err := p.k.Bus.Publish(ctx, broadcastTopic, map[string]any{"from": p.hosting}, "")
	if err != nil {
		return nil, err
	}
	return microcore.Respond(0, map[string]any{"id": id})
}

// request answers the echo's reply as it came back, or the bus's error as sent.
func (p *parity) request(ctx context.Context, req *microcorev1.HttpRequest) (*microcorev1.HttpResponse, error) {
	payload := map[string]any{"big": bigValue, "blob": blobValue, "absent": nil, "text": textValue, "from": p.hosting}
	reply, err := p.k.Bus.Request(ctx, "parity."+req.GetParams()["to"]+".echo", payload, requestTimeout)
	if err != nil {
		return nil, err
	}
	return microcore.Respond(0, reply)
}
