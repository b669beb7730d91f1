package seccomp

type tracer struct{}

type notifReq struct{ id uint64 }

func (t *tracer) processOpenat2(req *notifReq) error { // expect: handler = processOpenat2
	return nil
}

func handleOpenat2Request(req *notifReq) error { // expect: handler = handleOpenat2Request
	return nil
}
