// ReportLineFilterTests: after a restart, the report lines an earlier attempt printed are left out
// (JSON and text alike); every other line — notices, the final line, events — passes untouched.
@testable import Coordinator
import Testing

@Suite struct ReportLineFilterTests {
    @Test("which lines are reports, and for which step", arguments: [
        (#"{"epoch":1,"step":10,"loss":0.5}"#, 10 as Int?),
        (#"{"step":40,"loss":0.5,"final":true,"test_acc":0.9}"#, nil),
        (#"{"event":"diverged","step":7}"#, nil),
        ("epoch 2/6  step 20  loss 0.4312  train_acc 0.8  12000 samples/s  lr 0.05  0.1s", 20),
        ("step 300/1000  loss 2.1  val_loss 2.2  900 samples/s  lr 0.0003  4.0s", 300),
        ("resumed from /x/checkpoints/step-00000008 (epoch 1, step 8)", nil),
        ("run folder: runs/a", nil),
        ("{not json", nil),
        ("test: loss 0.6893  accuracy 0.7470", nil),
    ])
    func reportStep(_ line: String, _ step: Int?) {
        #expect(ReportLineFilter.reportStep(line) == step)
    }

    @Test("the first attempt prints everything; a restart leaves out what was printed, then prints on")
    func acrossAttempts() {
        let filter = ReportLineFilter()
        let first = ["run folder: r", #"{"epoch":1,"step":10}"#, #"{"epoch":2,"step":20}"#]
        #expect(first.flatMap(filter.feed) == first)
        filter.newAttempt()
        let second = ["resumed", #"{"epoch":2,"step":20}"#, #"{"epoch":3,"step":30}"#, #"{"step":30,"final":true}"#]
        #expect(second.flatMap(filter.feed) == ["resumed", #"{"epoch":3,"step":30}"#, #"{"step":30,"final":true}"#])
        filter.newAttempt()
        #expect(filter.feed(#"{"epoch":3,"step":30}"#).isEmpty)
        #expect(filter.feed("epoch 4/6  step 40  loss 0.3") == ["epoch 4/6  step 40  loss 0.3"])
    }
}
