"""Today's IA and UTC redirection rates follow from one propensity and one IA/UTC split."""

import pytest

from sim.inputs.config import ConfigError

from ..conftest import tweak


@pytest.mark.parametrize("share, propensity, ia, utc", [
    (0.0, 0.725, 0.0, 0.725),          # every redirection via the UTC
    (1.0, 0.725, 0.725, 0.0),          # every redirection at the IA
    (0.5, 0.6, 0.3, 0.3 / 0.7),        # 0.3 at the IA; of the 0.7 left, 0.3 at the UTC
    (0.62, 0.725, 0.4495, 0.2755 / 0.5505),
    (1.0, 1.0, 1.0, 0.0),              # nobody is left for the UTC
])
def test_rates_from_share_and_propensity(current_cfg, share, propensity, ia, utc):
    cfg = tweak(current_cfg, calibration__current_redirections_share_at_ia=share,
                calibration__current_redirection_propensity=propensity)
    assert cfg.ia_redirect_probability_current == pytest.approx(ia)
    assert cfg.utc_triage_redirect_probability == pytest.approx(utc)
    # a candidate in the window is redirected at one point or the other with the propensity
    assert ia + (1 - ia) * utc == pytest.approx(propensity)


def test_a_number_in_the_config_overrides_the_calibration(current_cfg):
    cfg = tweak(current_cfg, ia_nurse__redirection_current__probability=0.1, utc__triage_redirect_probability=0.2)
    assert cfg.ia_redirect_probability_current == 0.1
    assert cfg.utc_triage_redirect_probability == 0.2


def test_redesign_rate_must_be_a_number(redesign_cfg):
    with pytest.raises(ConfigError, match="redirection_x8.probability"):
        tweak(redesign_cfg, ia_nurse__redirection_x8__probability=None)


def test_shipped_current_rates(current_cfg):
    assert current_cfg.ia_nurse.redirection_current.probability is None
    assert current_cfg.utc.triage_redirect_probability is None
    assert 0 < current_cfg.ia_redirect_probability_current < 1
