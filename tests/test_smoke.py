def test_establish_smoke(establish):
    rec = establish()
    assert rec.number.startswith("320506001001")
    assert len(rec.number) == 17
