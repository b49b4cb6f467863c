import spamfilter


def test_tiny_model_separates_fixture_classes(tiny_model_dir):
    model = spamfilter.load_model(tiny_model_dir)
    labels = model.predict([
        "Home",
        "The council said the new bus routes would start next spring after a vote on Tuesday evening.",
        "Subscribe to our newsletter",
    ])
    assert list(labels) == ["spam", "content", "spam"]
