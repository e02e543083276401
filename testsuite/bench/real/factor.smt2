; Two factors of 42199963577 (= 168887 * 249871), each between 2 and 2^18, found through a
; 64-bit multiplier the solver bit-blasts: a SAT search of about a second. Written for sowa's
; benchmark.
(set-logic QF_BV)
(set-option :produce-models true)
(declare-fun p () (_ BitVec 64))
(declare-fun q () (_ BitVec 64))
(assert (bvugt p #x0000000000000001))
(assert (bvugt q #x0000000000000001))
(assert (bvult p #x0000000000040000))
(assert (bvult q #x0000000000040000))
(assert (bvule p q))
(assert (= (bvmul p q) #x00000009d35057b9))
(check-sat)
(get-model)
(exit)
