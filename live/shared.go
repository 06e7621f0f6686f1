package live

import "sync"

// Shared is what the subscribers of one process work out from one event:
// the first to need a value computes it, the others wait for and reuse it.
// The changed row, say, is read once per event and process rather than once
// per subscriber; what each subscriber may see of it is still decided per
// subscriber.
type Shared struct {
	mu     sync.Mutex
	values map[any]*sharedValue
}

type sharedValue struct {
	once  sync.Once
	value any
	err   error
}

// Do returns the value of key for this event, computing it with fn once.
func (s *Shared) Do(key any, fn func() (any, error)) (any, error) {
	if s == nil {
		return fn()
	}
	s.mu.Lock()
	if s.values == nil {
		s.values = map[any]*sharedValue{}
	}
	v := s.values[key]
	if v == nil {
		v = &sharedValue{}
		s.values[key] = v
	}
	s.mu.Unlock()
	v.once.Do(func() { v.value, v.err = fn() })
	return v.value, v.err
}

// Shared returns the event's memo of this process (nil for an event that
// was not delivered by a broker: Do then computes every time).
func (e Event) Shared() *Shared { return e.shared }
