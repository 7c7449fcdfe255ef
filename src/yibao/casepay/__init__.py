"""Case-based payment (issue G): the settlement list (医疗保障基金结算清单, 4101–4103) an
institution uploads after discharge, the group (CHS-DRG 1.1, :mod:`yibao.drg`) stored with the
settlement, and later the weights and the DRG and DIP payment."""
